//! A deliberately hostile guest: each event names one thing a sandboxed function
//! must not be able to do (or must be stopped doing). The engine's tests prove
//! every denial. The result says what happened, so a test can tell "denied" from
//! "succeeded".
//!
//! Events: `loop`, `membomb`, `stack`, `shadow-stack`, `panic`, `read:<path>`, `write:<path>`,
//! `list:<dir>`, `env`, `connect:<host:port>`, `http:<url>`, `flood-stdout:<n>`,
//! `result:<bytes>`, `counter`, `sleep:<ms>`, `append-fail:<path>`.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use wasm_fc_guest::{Context, Error};

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn handler(event: Vec<u8>, _ctx: &Context) -> Result<Vec<u8>, Error> {
    let event = String::from_utf8(event)?;
    if event.starts_with('{')
        && let Ok(sink) = std::env::var("HOSTILE_SINK")
    {
        // A JSON event (e.g. an async destination record or a timer event) is saved
        // where HOSTILE_SINK says; a sink ending in `/` is a directory that collects
        // one line per event in `events.jsonl`.
        if let Some(dir) = sink.strip_suffix('/') {
            let mut log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(format!("{dir}/events.jsonl"))?;
            writeln!(log, "{event}")?;
        } else {
            std::fs::write(&sink, &event)?;
        }
        return Ok(b"saved".to_vec());
    }
    let (verb, arg) = event.split_once(':').unwrap_or((event.as_str(), ""));
    let outcome = match verb {
        "loop" => spin_forever(),
        "membomb" => memory_bomb(),
        "stack" => format!("depth {}", recurse_native(0)),
        "shadow-stack" => format!("depth {}", recurse_shadow(0)),
        "panic" => panic!("hostile guest panicked on purpose"),
        "read" => match std::fs::read_to_string(arg) {
            Ok(text) => format!("read ok: {}", text.chars().take(64).collect::<String>()),
            Err(e) => format!("denied: {e}"),
        },
        "write" => match std::fs::File::create(arg).and_then(|mut f| f.write_all(b"pwned")) {
            Ok(()) => "write ok".to_string(),
            Err(e) => format!("denied: {e}"),
        },
        "list" => match std::fs::read_dir(arg) {
            Ok(entries) => {
                let mut names: Vec<String> = entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                names.sort();
                format!("list ok: {}", names.join(","))
            }
            Err(e) => format!("denied: {e}"),
        },
        "env" => {
            let mut vars: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
            vars.sort();
            vars.join("\n")
        }
        "connect" => match std::net::TcpStream::connect(arg) {
            Ok(mut stream) => {
                let mut reply = String::new();
                let _ = stream.write_all(b"ping\n");
                let _ = stream.read_to_string(&mut reply);
                format!("connect ok: {reply}")
            }
            Err(e) => format!("denied: {e}"),
        },
        "http" => outbound_http(arg),
        "flood-stdout" => {
            let n: usize = arg.parse().unwrap_or(1_000_000);
            let line = [b'x'; 1023];
            let mut out = std::io::stdout();
            for _ in 0..n / 1024 {
                let _ = out.write_all(&line);
                let _ = out.write_all(b"\n");
            }
            let _ = out.flush();
            eprintln!("flood done");
            "flooded".to_string()
        }
        "result" => return Ok(vec![b'r'; arg.parse().unwrap_or(0)]),
        "append-fail" => {
            // Leaves a trace of each attempt, then fails: lets tests count async retries.
            let appended = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(arg)
                .and_then(|mut f| f.write_all(b"attempt\n"));
            return Err(Error::typed(
                "AttemptFailed",
                format!("failed on purpose (append: {appended:?})"),
            ));
        }
        "counter" => format!("counter={}", COUNTER.fetch_add(1, Ordering::SeqCst) + 1),
        "sleep" => {
            // Blocks inside a host call (wasi:clocks + wasi:io/poll), where epoch
            // interruption cannot reach: only the host's async timeout stops it.
            std::thread::sleep(std::time::Duration::from_millis(
                arg.parse().unwrap_or(60_000),
            ));
            "slept".to_string()
        }
        other => {
            return Err(Error::typed(
                "UnknownVerb",
                format!("unknown hostile verb {other:?}"),
            ));
        }
    };
    Ok(outcome.into_bytes())
}

fn spin_forever() -> String {
    let mut x: u64 = 0;
    loop {
        x = std::hint::black_box(x.wrapping_add(1));
    }
}

fn memory_bomb() -> String {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        // 16 MiB at a time, touched so the pages are real.
        let mut chunk = vec![0u8; 16 << 20];
        chunk[0] = 1;
        hoard.push(std::hint::black_box(chunk));
    }
}

static STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Recursion that keeps its state in Wasm locals: it exhausts the engine's
/// native Wasm stack (a `StackOverflow` trap).
fn recurse_native(depth: u64) -> u64 {
    if STOP.load(Ordering::Relaxed) {
        return depth;
    }
    recurse_native(depth + 1)
        .wrapping_mul(3)
        .wrapping_add(depth)
}

/// Recursion with a big frame in linear memory: it runs off the bottom of the
/// guest's own shadow stack (an out-of-bounds trap).
fn recurse_shadow(depth: u64) -> u64 {
    if STOP.load(Ordering::Relaxed) {
        return depth;
    }
    let pad = std::hint::black_box([depth; 64]);
    recurse_shadow(depth + 1) + pad[3]
}

fn outbound_http(url: &str) -> String {
    use wasm_fc_guest::__wasip2::http::{outgoing_handler, types};
    let Some(rest) = url.strip_prefix("http://") else {
        return "bad url".into();
    };
    let (authority, path) = rest
        .split_once('/')
        .map(|(a, p)| (a, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let request = types::OutgoingRequest::new(types::Fields::new());
    let _ = request.set_scheme(Some(&types::Scheme::Http));
    let _ = request.set_authority(Some(authority));
    let _ = request.set_path_with_query(Some(&path));
    match outgoing_handler::handle(request, None) {
        Err(e) => format!("denied: {e:?}"),
        Ok(future) => {
            future.subscribe().block();
            match future.get() {
                Some(Ok(Ok(resp))) => format!("http ok: {}", resp.status()),
                Some(Ok(Err(e))) => format!("denied: {e:?}"),
                other => format!("denied: {other:?}"),
            }
        }
    }
}

/// The initializer misbehaves on request: `HOSTILE_INIT=loop` spins forever,
/// `HOSTILE_INIT=fail` returns an error; otherwise it does nothing.
fn init(_ctx: &Context) -> Result<(), Error> {
    match std::env::var("HOSTILE_INIT").as_deref() {
        Ok("loop") => {
            spin_forever();
            Ok(())
        }
        Ok("fail") => Err(Error::typed(
            "InitError",
            "the initializer failed on purpose",
        )),
        _ => Ok(()),
    }
}

wasm_fc_guest::export_event_handler!(handler, initializer = init);
