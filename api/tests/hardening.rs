//! What real clients and a hostile probe found (issue 15), each end to end
//! against a real `wasm-fc run` on 127.0.0.1: qualifiers in the query, code
//! URLs that cannot be forged and carry the port, a service named `proxy`,
//! bodies bound to their `Content-MD5`, FC's status/code pairs, slow and idle
//! connections, and destination chains that stop.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use common::*;
use serde_json::json;

fn post_json(s: &Server, path: &str, body: serde_json::Value) -> Reply {
    call(s, "POST", path, &[], body.to_string().as_bytes())
}

/// LATEST says "v2"; version 1 (and the alias `prod` on it) says "v1".
fn two_versions(s: &Server) {
    create_service(s, "q", json!({}));
    ok(call(
        s,
        "POST",
        &format!("{P}/services/q/functions"),
        &[],
        &function_body(
            "f",
            wasm_fc_test_guests::EVENT_HELLO,
            json!({ "environmentVariables": { "GREETING": "v1" } }),
        ),
    ));
    ok(post_json(
        s,
        &format!("{P}/services/q/versions"),
        json!({ "description": "one" }),
    ));
    ok(post_json(
        s,
        &format!("{P}/services/q/aliases"),
        json!({ "aliasName": "prod", "versionId": "1" }),
    ));
    ok(call(
        s,
        "PUT",
        &format!("{P}/services/q/functions/f"),
        &[],
        json!({ "environmentVariables": { "GREETING": "v2" } })
            .to_string()
            .as_bytes(),
    ));
}

#[test]
fn the_query_qualifier_is_honoured_everywhere_fc_takes_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    two_versions(&s);
    let invoke = |path: &str| {
        let r = call(&s, "POST", path, &[], br#"{"name":"ada"}"#);
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        r
    };
    let latest = invoke(&format!("{P}/services/q/functions/f/invocations"));
    assert_eq!(latest.json()["greeting"], "v2, ada");
    for (path, qualifier) in [
        (
            format!("{P}/services/q/functions/f/invocations?qualifier=prod"),
            "prod",
        ),
        (
            format!("{P}/services/q/functions/f/invocations?qualifier=1"),
            "1",
        ),
        (
            format!("{P}/services/q.prod/functions/f/invocations?qualifier=prod"),
            "prod",
        ),
        (
            "/2021-04-06/services/q/functions/f/invocations?qualifier=prod".to_string(),
            "prod",
        ),
    ] {
        let r = invoke(&path);
        assert_eq!(r.json()["greeting"], "v1, ada", "{path}");
        assert_eq!(r.json()["qualifier"], qualifier, "{path}");
        assert_eq!(
            r.header("x-fc-invocation-service-version"),
            Some("1"),
            "{path}"
        );
    }
    // GetFunction, GetFunctionCode, GetService and ListFunctions take it too.
    let got = ok(call(
        &s,
        "GET",
        &format!("{P}/services/q/functions/f?qualifier=prod"),
        &[],
        b"",
    ));
    assert_eq!(got.json()["environmentVariables"]["GREETING"], "v1");
    let got = ok(call(
        &s,
        "GET",
        &format!("{P}/services/q/functions/f"),
        &[],
        b"",
    ));
    assert_eq!(got.json()["environmentVariables"]["GREETING"], "v2");
    let listed = ok(call(
        &s,
        "GET",
        &format!("{P}/services/q/functions?qualifier=1"),
        &[],
        b"",
    ));
    assert_eq!(
        listed.json()["functions"][0]["environmentVariables"]["GREETING"],
        "v1"
    );
    ok(call(
        &s,
        "GET",
        &format!("{P}/services/q?qualifier=prod"),
        &[],
        b"",
    ));
    ok(call(
        &s,
        "GET",
        &format!("{P}/services/q/functions/f/code?qualifier=1"),
        &[],
        b"",
    ));
    // An empty query value is no qualifier.
    let r = invoke(&format!(
        "{P}/services/q/functions/f/invocations?qualifier="
    ));
    assert_eq!(r.json()["greeting"], "v2, ada");

    // Path and query disagree: 400, never one of the two silently.
    for path in [
        format!("{P}/services/q.prod/functions/f/invocations?qualifier=1"),
        format!("{P}/services/q.LATEST/functions/f?qualifier=prod"),
    ] {
        let r = call(&s, "POST", &path, &[], b"{}");
        let r = if path.ends_with("invocations?qualifier=1") {
            r
        } else {
            call(&s, "GET", &path, &[], b"")
        };
        assert_eq!(
            (r.status, r.json()["ErrorCode"].as_str()),
            (400, Some("InvalidArgument")),
            "{path}: {}",
            r.text()
        );
    }
    // Unknown qualifiers: FC's 404s.
    let r = call(
        &s,
        "POST",
        &format!("{P}/services/q/functions/f/invocations?qualifier=nope"),
        &[],
        b"{}",
    );
    assert_eq!(
        (r.status, r.json()["ErrorCode"].as_str()),
        (404, Some("AliasNotFound"))
    );
    let r = call(
        &s,
        "GET",
        &format!("{P}/services/q/functions/f?qualifier=7"),
        &[],
        b"",
    );
    assert_eq!(
        (r.status, r.json()["ErrorCode"].as_str()),
        (404, Some("VersionNotFound"))
    );
}

/// An HMAC keyed the way the old URLs were: with the public account id.
fn forged_signature(file: &str, expires: u64, data_dir: &std::path::Path) -> String {
    wasm_fc_api::control::auth::sign(
        "1234567890123456",
        &format!("{file}\n{expires}\n{}", data_dir.display()),
    )
}

#[test]
fn code_urls_carry_the_port_and_cannot_be_forged() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    create_service(&s, "code", json!({}));
    ok(call(
        &s,
        "POST",
        &format!("{P}/services/code/functions"),
        &[],
        &function_body("f", wasm_fc_test_guests::EVENT_HELLO, json!({})),
    ));
    let port = s.endpoint.rsplit(':').next().unwrap().to_string();
    // `Host` without a port, as @alicloud/fc2 sends it: the URL still has one.
    let creds = wasm_fc_api::control::credentials::Credentials {
        access_key_id: KEY_ID.into(),
        access_key_secret: SECRET.into(),
    };
    let path = format!("{P}/services/code/functions/f/code");
    let mut headers =
        wasm_fc_api::client::signed_headers(&creds, "GET", &path, &[], SystemTime::now());
    headers.push(("host".into(), "127.0.0.1".into()));
    let reply = raw(&s, "GET", &path, &headers, b"");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let url = reply.json()["url"].as_str().unwrap().to_string();
    assert!(
        url.starts_with(&format!("http://127.0.0.1:{port}/")),
        "{url}"
    );
    let get = |url: &str| {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut response = agent.get(url).call().unwrap();
        let status = response.status().as_u16();
        (status, response.body_mut().read_to_vec().unwrap())
    };
    let (status, zip) = get(&url);
    assert_eq!(status, 200);
    assert_eq!(
        reply.json()["checksum"].as_str().unwrap(),
        wasm_fc_api::control::code::CodePackage::from_zip(zip)
            .checksum
            .to_string()
    );

    // The secret is random, private and kept in the data dir.
    let key = dir.path().join(wasm_fc_api::control::url_signing::KEY_FILE);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // A URL minted from public values (the old scheme), another expiry, another
    // file or an expired URL: all 403.
    let (base, query) = url.split_once('?').unwrap();
    let file = base.rsplit('/').next().unwrap();
    let expires: u64 = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("expires="))
        .unwrap()
        .parse()
        .unwrap();
    let signature = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("signature="))
        .unwrap();
    let far = expires + 10 * 365 * 86_400;
    let forged = forged_signature(file, far, dir.path());
    let forged = percent_encoding::utf8_percent_encode(&forged, percent_encoding::NON_ALPHANUMERIC);
    for bad in [
        format!("{base}?expires={far}&signature={forged}"),
        format!("{base}?expires={far}&signature={signature}"),
        format!("{base}?expires={expires}"),
        format!(
            "{}?expires={expires}&signature={signature}",
            base.replace(file, &format!("{}.zip", "0".repeat(64)))
        ),
    ] {
        assert_eq!(get(&bad).0, 403, "{bad}");
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let signer =
        wasm_fc_api::control::url_signing::UrlSigner::load_or_generate(dir.path()).unwrap();
    let past = now - 1;
    let expired = format!(
        "{base}?expires={past}&signature={}",
        signer.sign(file, past)
    );
    let (status, body) = get(&expired);
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
}

#[test]
fn listening_on_every_address_the_code_url_uses_the_clients_host_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_wasm-fc"));
    command
        .args([
            "run",
            "--listen",
            "0.0.0.0:0",
            "--oss-listen",
            "off",
            "--data-dir",
        ])
        .arg(dir.path())
        .env("WASM_FC_NO_RUNTIMES", "1");
    let s = spawn(command, 0, dir.path());
    let port = s.endpoint.rsplit(':').next().unwrap().to_string();
    create_service(&s, "code", json!({}));
    ok(call(
        &s,
        "POST",
        &format!("{P}/services/code/functions"),
        &[],
        &function_body("f", wasm_fc_test_guests::EVENT_HELLO, json!({})),
    ));
    let creds = wasm_fc_api::control::credentials::Credentials {
        access_key_id: KEY_ID.into(),
        access_key_secret: SECRET.into(),
    };
    let path = format!("{P}/services/code/functions/f/code");
    let mut headers =
        wasm_fc_api::client::signed_headers(&creds, "GET", &path, &[], SystemTime::now());
    headers.push(("host".into(), "localhost".into()));
    let reply = raw(&s, "GET", &path, &headers, b"");
    let url = reply.json()["url"].as_str().unwrap().to_string();
    assert!(
        url.starts_with(&format!("http://localhost:{port}/_wasm-fc/code/")),
        "not 0.0.0.0, and the port kept: {url}"
    );
}

#[test]
fn a_public_endpoint_names_the_code_url_host() {
    let dir = tempfile::tempdir().unwrap();
    let s = start_with_args(
        dir.path(),
        &["--public-endpoint", "http://fc.example:8443/"],
    );
    create_service(&s, "code", json!({}));
    ok(call(
        &s,
        "POST",
        &format!("{P}/services/code/functions"),
        &[],
        &function_body("f", wasm_fc_test_guests::EVENT_HELLO, json!({})),
    ));
    let reply = ok(call(
        &s,
        "GET",
        &format!("{P}/services/code/functions/f/code"),
        &[],
        b"",
    ));
    let url = reply.json()["url"].as_str().unwrap().to_string();
    assert!(
        url.starts_with("http://fc.example:8443/_wasm-fc/code/"),
        "{url}"
    );
}

#[test]
fn a_service_named_proxy_is_managed_like_any_other() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    create_service(&s, "proxy", json!({}));
    ok(call(&s, "GET", &format!("{P}/services/proxy"), &[], b""));
    ok(call(
        &s,
        "POST",
        &format!("{P}/services/proxy/functions"),
        &[],
        &function_body("f", wasm_fc_test_guests::EVENT_HELLO, json!({})),
    ));
    let listed = ok(call(
        &s,
        "GET",
        &format!("{P}/services/proxy/functions"),
        &[],
        b"",
    ));
    assert_eq!(listed.json()["functions"][0]["functionName"], "f");
    let r = ok(call(
        &s,
        "POST",
        &format!("{P}/services/proxy/functions/f/invocations"),
        &[],
        br#"{"name":"p"}"#,
    ));
    assert_eq!(r.json()["service"], "proxy");
}

#[test]
fn a_signed_body_must_match_its_content_md5_in_every_sdk_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    let path = format!("{P}/services");
    let body = br#"{"serviceName":"signed"}"#;
    let digest = {
        use md5::Digest as _;
        md5::Md5::digest(body)
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    let hex = hex::encode(digest);
    let encodings = [
        ("java", b64.encode(digest)),
        ("go", hex.clone()),
        ("node", b64.encode(hex.as_bytes())),
    ];
    for (i, (sdk, md5)) in encodings.iter().enumerate() {
        // The captured request replayed with another body: refused.
        let evil = format!(r#"{{"serviceName":"evil{i}"}}"#);
        let headers = [("content-md5", md5.as_str())];
        let r = call(&s, "POST", &path, &headers, evil.as_bytes());
        assert_eq!(
            (r.status, r.json()["ErrorCode"].as_str()),
            (400, Some("InvalidArgument")),
            "{sdk}: {}",
            r.text()
        );
        // The body it was signed with: accepted (the first creates, then 409).
        let r = call(&s, "POST", &path, &headers, body);
        assert!(r.status == 200 || r.status == 409, "{sdk}: {}", r.text());
    }
    let listed = ok(call(&s, "GET", &path, &[], b""));
    let names: Vec<_> = listed.json()["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["serviceName"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["signed"], "no replayed body was stored");
    // Python sends no Content-MD5: nothing to check.
    ok(call(&s, "GET", &format!("{P}/services/signed"), &[], b""));
}

#[test]
fn errors_have_fc_status_code_pairs_on_the_wire() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    let code = |r: &Reply| (r.status, r.json()["ErrorCode"].as_str().map(str::to_string));
    let path = format!("{P}/services");
    let date = httpdate::fmt_http_date(SystemTime::now());
    let cases: Vec<(&str, Reply, u16, &str)> = vec![
        (
            "no Authorization",
            unsigned(&s, "GET", &path, &[("date", &date)], b""),
            403,
            "AccessDenied",
        ),
        (
            "malformed Authorization",
            unsigned(
                &s,
                "GET",
                &path,
                &[("date", &date), ("authorization", "Bearer x")],
                b"",
            ),
            400,
            "InvalidArgument",
        ),
        (
            "no Date",
            unsigned(
                &s,
                "GET",
                &path,
                &[("authorization", &format!("FC {KEY_ID}:c2ln"))],
                b"",
            ),
            400,
            "MissingRequiredHeader",
        ),
        (
            "unknown path",
            call(&s, "GET", &format!("{P}/nothing-here"), &[], b""),
            400,
            "PathNotSupported",
        ),
        (
            "method a route does not take",
            call(&s, "PATCH", &path, &[], b""),
            400,
            "PathNotSupported",
        ),
        (
            "missing service",
            call(&s, "GET", &format!("{P}/services/none"), &[], b""),
            404,
            "ServiceNotFound",
        ),
    ];
    for (what, reply, status, error_code) in cases {
        assert_eq!(
            code(&reply),
            (status, Some(error_code.to_string())),
            "{what}: {}",
            reply.text()
        );
        assert!(reply.header("x-fc-request-id").is_some(), "{what}");
    }
}

/// Reads until the server closes the connection; false if it is still open
/// when `within` has passed.
fn closed_by_server(stream: &mut TcpStream, within: Duration) -> bool {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

#[test]
fn slow_silent_and_idle_connections_are_closed() {
    let dir = tempfile::tempdir().unwrap();
    let s = start_with_args(
        dir.path(),
        &["--header-read-timeout", "1", "--max-connections", "4"],
    );
    let addr = s.endpoint.trim_start_matches("http://").to_string();
    // Slowloris: headers that never end.
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    // Idle keep-alive after one request.
    let mut idle = TcpStream::connect(&addr).unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    // Silent: connected, nothing sent.
    let mut silent = TcpStream::connect(&addr).unwrap();
    for (what, stream) in [
        ("slowloris", &mut slow),
        ("idle keep-alive", &mut idle),
        ("silent", &mut silent),
    ] {
        assert!(
            closed_by_server(stream, Duration::from_secs(20)),
            "{what} connection left open"
        );
    }
    ok(call(&s, "GET", &format!("{P}/services"), &[], b""));
}

#[test]
fn connections_beyond_the_cap_wait_for_a_free_slot() {
    let dir = tempfile::tempdir().unwrap();
    let s = start_with_args(dir.path(), &["--max-connections", "3"]);
    let addr = s.endpoint.trim_start_matches("http://").to_string();
    let healthz = |timeout: Duration| {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .build()
            .into();
        agent
            .get(&format!("{}/healthz", s.endpoint))
            .call()
            .map(|r| r.status().as_u16())
    };
    // Three open connections fill the cap (the default header timeout is 30 s).
    let mut held: Vec<TcpStream> = (0..3).map(|_| TcpStream::connect(&addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(300)); // let the server accept them
    assert!(
        healthz(Duration::from_secs(2)).is_err(),
        "a fourth connection was served while three held the cap"
    );
    held.pop();
    assert_eq!(healthz(Duration::from_secs(30)).unwrap(), 200);
}

#[test]
fn a_destination_pointing_back_at_its_function_stops() {
    let dir = tempfile::tempdir().unwrap();
    let sink = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    let mount = json!({ "nasConfig": { "mountPoints": [{ "serverAddr": sink.path().display().to_string(), "mountDir": "/mnt/sink" }] } });
    create_service(&s, "loop", mount);
    let sink_dir = "/mnt/sink/";
    ok(call(
        &s,
        "POST",
        &format!("{P}/services/loop/functions"),
        &[],
        &function_body(
            "self",
            wasm_fc_test_guests::HOSTILE,
            json!({ "environmentVariables": { "HOSTILE_SINK": sink_dir } }),
        ),
    ));
    let arn = "acs:fc:local:1234567890123456:services/loop.LATEST/functions/self";
    ok(call(
        &s,
        "PUT",
        &format!("{P}/services/loop/functions/self/async-invoke-config"),
        &[],
        json!({ "destinationConfig": { "onSuccess": { "destination": arn } } })
            .to_string()
            .as_bytes(),
    ));
    let r = call(
        &s,
        "POST",
        &format!("{P}/services/loop/functions/self/invocations"),
        &[("x-fc-invocation-type", "Async")],
        br#"{"start":"here"}"#,
    );
    assert_eq!(r.status, 202, "{}", r.text());
    let metrics = || ok(call(&s, "GET", "/metrics", &[], b"")).text();
    wait_for(
        || metrics().contains("wasm_fc_destination_drops_total{"),
        "the chain of destination records was cut",
    );
    let events = || {
        std::fs::read_to_string(sink.path().join("events.jsonl"))
            .unwrap_or_default()
            .lines()
            .count()
    };
    let seen = events();
    assert!(
        (2..=1 + wasm_fc_api::invoke::queue::MAX_DESTINATION_HOPS as usize).contains(&seen),
        "{seen} events: the record went round at least once and at most the hop limit"
    );
    // Nothing more arrives once the chain is cut.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(events(), seen);
    let last = std::fs::read_to_string(sink.path().join("events.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(last.lines().last().unwrap()).unwrap();
    assert!(
        last.to_string().len() <= wasm_fc_api::invoke::MAX_ASYNC_PAYLOAD,
        "no record over the async payload limit was delivered"
    );
}

#[test]
fn an_async_backlog_waits_in_the_store_not_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let sink = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    let mount = json!({ "nasConfig": { "mountPoints": [{ "serverAddr": sink.path().display().to_string(), "mountDir": "/mnt/sink" }] } });
    create_service(&s, "backlog", mount);
    ok(call(
        &s,
        "POST",
        &format!("{P}/services/backlog/functions"),
        &[],
        &function_body(
            "slow",
            wasm_fc_test_guests::HOSTILE,
            json!({ "environmentVariables": { "HOSTILE_SINK": "/mnt/sink/" } }),
        ),
    ));
    // Hold the workers: 8 slow invocations first, then a backlog of 200 more.
    let path = format!("{P}/services/backlog/functions/slow/invocations");
    let async_call = |body: &[u8]| {
        let r = call(
            &s,
            "POST",
            &path,
            &[("x-fc-invocation-type", "Async")],
            body,
        );
        assert_eq!(r.status, 202, "{}", r.text());
    };
    for _ in 0..8 {
        async_call(b"sleep:3000");
    }
    // A payload of 64 KB each: a backlog held in memory would be 12.5 MB.
    let filler = "x".repeat(64 << 10);
    for i in 0..200 {
        async_call(format!(r#"{{"n":{i},"filler":"{filler}"}}"#).as_bytes());
    }
    let stats = ok(call(&s, "GET", "/_wasm-fc/stats", &[], b"")).json();
    let in_memory = stats["asyncHandoffInMemory"].as_u64().unwrap();
    assert!(
        in_memory <= wasm_fc_api::invoke::queue::HANDOFF_CAPACITY as u64,
        "{in_memory} accepted invocations held in memory"
    );
    assert!(
        stats["asyncQueueDepth"].as_u64().unwrap() >= 200,
        "the backlog is in the store: {stats}"
    );
    // And every one of them runs.
    let events = || {
        std::fs::read_to_string(sink.path().join("events.jsonl"))
            .unwrap_or_default()
            .lines()
            .count()
    };
    wait_for(|| events() >= 200, "the whole backlog ran");
    assert_eq!(events(), 200);
}

/// The store's `async_queue` table as SQL, to put back after taking it away.
fn queue_schema(db: &rusqlite::Connection) -> Vec<String> {
    let mut statement = db
        .prepare("SELECT sql FROM sqlite_master WHERE tbl_name = 'async_queue' AND sql IS NOT NULL ORDER BY type DESC")
        .unwrap();
    statement
        .query_map([], |row| row.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn store_errors_on_the_async_path_are_counted_and_recovered_from() {
    let dir = tempfile::tempdir().unwrap();
    let sink = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    let mount = json!({ "nasConfig": { "mountPoints": [{ "serverAddr": sink.path().display().to_string(), "mountDir": "/mnt/sink" }] } });
    create_service(&s, "flaky", mount);
    ok(call(
        &s,
        "POST",
        &format!("{P}/services/flaky/functions"),
        &[],
        &function_body(
            "f",
            wasm_fc_test_guests::HOSTILE,
            json!({ "environmentVariables": { "HOSTILE_SINK": "/mnt/sink/" } }),
        ),
    ));
    // A real store failure: the queue table vanishes under the running server.
    let db = rusqlite::Connection::open(dir.path().join("wasm-fc.db")).unwrap();
    db.busy_timeout(Duration::from_secs(10)).unwrap();
    let schema = queue_schema(&db);
    assert!(!schema.is_empty());
    db.execute_batch("DROP TABLE async_queue").unwrap();
    let metrics = || ok(call(&s, "GET", "/metrics", &[], b"")).text();
    wait_for(
        || metrics().contains(r#"wasm_fc_store_errors_total{operation="claim"}"#),
        "the workers' failed claims are counted",
    );
    let text = metrics();
    assert!(
        !text.contains("wasm_fc_async_queue_depth "),
        "an unreadable queue has no depth, not 0:\n{text}"
    );
    // An invocation that cannot be stored is not accepted.
    let path = format!("{P}/services/flaky/functions/f/invocations");
    let refused = call(
        &s,
        "POST",
        &path,
        &[("x-fc-invocation-type", "Async")],
        br#"{"lost":1}"#,
    );
    assert_eq!(refused.status, 500, "{}", refused.text());
    // The store comes back: the workers go on by themselves.
    db.execute_batch(&schema.join(";\n")).unwrap();
    let accepted = call(
        &s,
        "POST",
        &path,
        &[("x-fc-invocation-type", "Async")],
        br#"{"after":1}"#,
    );
    assert_eq!(accepted.status, 202, "{}", accepted.text());
    wait_for(
        || {
            std::fs::read_to_string(sink.path().join("events.jsonl"))
                .unwrap_or_default()
                .contains(r#""after":1"#)
        },
        "the queue runs again after the store recovered",
    );
    assert!(metrics().contains("wasm_fc_async_queue_depth "));
}
