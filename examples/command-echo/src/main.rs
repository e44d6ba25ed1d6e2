//! A WASI p1 command with plain Rust std and no SDK: the any-language ABI.
//!
//! stdin is the event, stdout the result, stderr the log; the FC context comes in
//! `FC_*` env vars. An event starting with `fail:` exits 3 with the rest on stderr.
//! Under an HTTP trigger (CGI convention) it answers with a CGI response.

use std::io::{Read, Write};

fn main() {
    let mut event = Vec::new();
    if std::io::stdin().read_to_end(&mut event).is_err() {
        std::process::exit(2);
    }
    let env = |k: &str| std::env::var(k).unwrap_or_default();
    eprintln!(
        "command-echo got {} bytes for request {}",
        event.len(),
        env("FC_REQUEST_ID")
    );
    if let Some(reason) = event.strip_prefix(b"fail:") {
        eprintln!("failing on purpose: {}", String::from_utf8_lossy(reason));
        std::process::exit(3);
    }
    let mut out = std::io::stdout();
    if let Ok(method) = std::env::var("REQUEST_METHOD") {
        let _ = write!(
            out,
            "Content-Type: text/plain\r\nStatus: 200 OK\r\nX-Cgi: yes\r\n\r\n"
        );
        let _ = write!(
            out,
            "{method} {} ?{} ",
            env("PATH_INFO"),
            env("QUERY_STRING")
        );
    } else {
        let _ = write!(
            out,
            "echo[{}/{}@{}]: ",
            env("FC_SERVICE_NAME"),
            env("FC_FUNCTION_NAME"),
            env("FC_QUALIFIER")
        );
    }
    let _ = out.write_all(&event);
    let _ = out.flush();
}
