//! FC's signature verifier and its header parsing (`auth::verify`), plus the
//! Content-MD5 check, on a request written as text:
//!
//! ```text
//! GET /2016-08-15/proxy/demo/web/a%20b?q=1 SIGN
//! date: Mon, 24 Nov 2025 08:00:00 GMT
//! x-fc-trace-id: t
//!
//! body bytes
//! ```
//!
//! Line 1 is the method and the target (path, `?query`); a third word `SIGN` makes
//! the harness sign the request itself with the known key, and then `verify` must
//! accept it (the oracle). Header lines follow up to an empty line; the rest is
//! the body, checked against any `content-md5` header.
#![no_main]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use wasm_fc_api::control::auth::{self, AuthError, SignedRequest};
use wasm_fc_api::http::content_md5;

const ID: &str = "LTAI5tExampleKeyId";
const SECRET: &str = "ExampleSecret0123456789abcdefABCD";

fn keys(id: &str) -> Option<String> {
    (id == ID).then(|| SECRET.to_string())
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let first = lines.next().unwrap_or_default();
    let mut words = first.splitn(3, ' ');
    let method = words.next().unwrap_or_default();
    let target = words.next().unwrap_or_default();
    let sign = words.next() == Some("SIGN");
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    let mut headers: Vec<(String, String)> = lines
        .map(|line| match line.split_once(':') {
            Some((k, v)) => (k.trim().to_string(), v.trim().to_string()),
            None => (line.to_string(), String::new()),
        })
        .collect();
    // A fixed clock, the date of fc-api.md's worked vectors.
    let now = UNIX_EPOCH + Duration::from_secs(1_763_971_200);

    for (name, value) in &headers {
        if name.eq_ignore_ascii_case("content-md5") {
            let _ = content_md5::matches(value, body.as_bytes());
        }
    }
    let _ = auth::is_proxy_path(path);

    let own_date = sign && !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("date"));
    if own_date {
        headers.insert(0, ("date".into(), httpdate::fmt_http_date(now)));
    }
    let mut request = SignedRequest {
        method,
        path,
        query,
        headers,
    };
    if sign {
        let date = request
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("date"))
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let resource = auth::canonical_resource(&request);
        let signature = auth::sign(SECRET, &auth::string_to_sign(&request, &date, &resource));
        request
            .headers
            .insert(0, ("authorization".into(), format!("FC {ID}:{signature}")));
    }
    let result = auth::verify(&request, keys, now);
    if own_date {
        assert_eq!(
            result,
            Ok(ID.to_string()),
            "a correctly signed request was refused"
        );
    }
    if let Err(e) = &result {
        let _ = (e.code(), e.to_string());
    }
    // A key the lookup does not know is never accepted.
    if let Ok(id) = &result {
        assert_eq!(id, ID);
    }
    let _ = auth::verify(&request, keys, now + Duration::from_secs(3600));
    let _: Result<String, AuthError> = auth::verify(&request, keys, SystemTime::UNIX_EPOCH);
});
