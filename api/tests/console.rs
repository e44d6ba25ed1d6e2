#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Issue 22: the web console, against a real `wasm-fc run`.
//!
//! - Its session and CSRF rules and its read endpoints, over plain HTTP.
//! - The console itself in Debian's Chromium driven by `playwright-core`
//!   (tests/console/*.test.mjs; the npm packages go to `target/console-node`).
//!   Screenshots of the main pages land in `target/console-screenshots/`.

mod common;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use common::{KEY_ID, P, Reply, SECRET, Server, call, create_service, function_body, ok, raw};
use serde_json::{Value, json};

/// Signs in through the console's own endpoint; the session cookie's value
/// and the whole `Set-Cookie` line.
fn sign_in(server: &Server, key: &str, secret: &str) -> Reply {
    raw(
        server,
        "POST",
        "/console/session",
        &[("content-type".into(), "application/json".into())],
        json!({ "accessKeyId": key, "accessKeySecret": secret })
            .to_string()
            .as_bytes(),
    )
}

/// A console API call with the session cookie and, if given, the CSRF token.
fn console_call(
    server: &Server,
    method: &str,
    path: &str,
    cookie: &str,
    csrf: Option<&str>,
    body: &[u8],
) -> Reply {
    let mut headers = vec![
        ("cookie".to_string(), format!("wfc_console={cookie}")),
        ("content-type".to_string(), "application/json".to_string()),
    ];
    if let Some(token) = csrf {
        headers.push(("x-csrf-token".into(), token.into()));
    }
    raw(server, method, path, &headers, body)
}

#[test]
fn a_console_session_is_http_only_strict_csrf_checked_and_ends_at_sign_out() {
    let data = tempfile::tempdir().unwrap();
    let server = common::start(data.path());

    let page = raw(&server, "GET", "/console/", &[], b"");
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));

    let anonymous = raw(&server, "GET", "/console/session", &[], b"");
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.json()["ErrorCode"], "SessionRequired");

    let wrong = sign_in(&server, KEY_ID, "not-the-secret");
    assert_eq!(wrong.status, 403, "{}", wrong.text());
    assert_eq!(wrong.json()["ErrorCode"], "InvalidAccessKey");
    assert!(wrong.header("set-cookie").is_none());
    assert_eq!(sign_in(&server, "SOMEONE", SECRET).status, 403);

    let signed_in = sign_in(&server, KEY_ID, SECRET);
    assert_eq!(signed_in.status, 200, "{}", signed_in.text());
    let set_cookie = signed_in.header("set-cookie").unwrap().to_string();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(set_cookie.contains(flag), "{set_cookie}");
    }
    let cookie = set_cookie
        .strip_prefix("wfc_console=")
        .and_then(|rest| rest.split(';').next())
        .unwrap()
        .to_string();
    let session = signed_in.json();
    assert_eq!(session["accessKeyId"], KEY_ID);
    let csrf = session["csrfToken"].as_str().unwrap().to_string();

    // Reads need the session only; writes need its CSRF token too.
    let listed = console_call(
        &server,
        "GET",
        "/console/api/2016-08-15/services",
        &cookie,
        None,
        b"",
    );
    assert_eq!(listed.status, 200, "{}", listed.text());
    let body = json!({ "serviceName": "console-made" }).to_string();
    for token in [None, Some("forged"), Some(cookie.as_str())] {
        let refused = console_call(
            &server,
            "POST",
            "/console/api/2016-08-15/services",
            &cookie,
            token,
            body.as_bytes(),
        );
        assert_eq!(refused.status, 403, "{}", refused.text());
        assert_eq!(refused.json()["ErrorCode"], "InvalidCsrfToken");
    }
    assert_eq!(
        call(
            &server,
            "GET",
            &format!("{P}/services/console-made"),
            &[],
            b""
        )
        .status,
        404,
        "a refused write wrote nothing"
    );
    let made = console_call(
        &server,
        "POST",
        "/console/api/2016-08-15/services",
        &cookie,
        Some(&csrf),
        body.as_bytes(),
    );
    assert_eq!(made.status, 200, "{}", made.text());
    assert!(made.header("x-fc-request-id").is_some());
    ok(call(
        &server,
        "GET",
        &format!("{P}/services/console-made"),
        &[],
        b"",
    ));
    // Paths with names in them reach their routes' parameters intact.
    let named = console_call(
        &server,
        "GET",
        "/console/api/2016-08-15/services/console-made/functions?limit=5",
        &cookie,
        None,
        b"",
    );
    assert_eq!(named.status, 200, "{}", named.text());
    assert_eq!(named.json()["functions"], json!([]));
    let service = console_call(
        &server,
        "GET",
        "/console/api/2016-08-15/services/console-made",
        &cookie,
        None,
        b"",
    );
    assert_eq!(service.json()["serviceName"], "console-made");

    // Another site's page is refused even with the cookie and token.
    let mut headers = vec![
        ("cookie".to_string(), format!("wfc_console={cookie}")),
        ("x-csrf-token".to_string(), csrf.clone()),
        ("sec-fetch-site".to_string(), "cross-site".to_string()),
    ];
    let cross = raw(
        &server,
        "DELETE",
        "/console/api/2016-08-15/services/console-made",
        &headers,
        b"",
    );
    assert_eq!(cross.status, 403, "{}", cross.text());
    headers.pop();

    // The API itself still wants a signature, cookie or not.
    let unsigned = raw(&server, "GET", &format!("{P}/services"), &headers, b"");
    assert_eq!(unsigned.status, 403, "{}", unsigned.text());
    // Only API paths are forwarded.
    assert_eq!(
        console_call(&server, "GET", "/console/api/metrics", &cookie, None, b"").status,
        404
    );

    // Signing out needs the token, then ends the session for good.
    assert_eq!(
        console_call(&server, "DELETE", "/console/session", &cookie, None, b"").status,
        403
    );
    let out = console_call(
        &server,
        "DELETE",
        "/console/session",
        &cookie,
        Some(&csrf),
        b"",
    );
    assert_eq!(out.status, 204, "{}", out.text());
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    let replayed = console_call(
        &server,
        "GET",
        "/console/api/2016-08-15/services",
        &cookie,
        None,
        b"",
    );
    assert_eq!(replayed.status, 401, "{}", replayed.text());
    assert_eq!(replayed.json()["ErrorCode"], "SessionRequired");
}

#[test]
fn the_metrics_history_counts_the_last_hour_and_timers_list_their_next_fires() {
    let data = tempfile::tempdir().unwrap();
    let server = common::start(data.path());
    create_service(&server, "watched", json!({}));
    ok(call(
        &server,
        "POST",
        &format!("{P}/services/watched/functions"),
        &[],
        &function_body("hello", wasm_fc_test_guests::EVENT_HELLO, json!({})),
    ));
    let invoke = |payload: &str| {
        call(
            &server,
            "POST",
            &format!("{P}/services/watched/functions/hello/invocations"),
            &[],
            payload.as_bytes(),
        )
    };
    for _ in 0..3 {
        ok(invoke(r#"{"name":"x"}"#));
    }
    assert!(invoke("not json").header("x-fc-error-type").is_some());
    let history = ok(call(
        &server,
        "GET",
        "/_wasm-fc/metrics/watched/hello",
        &[],
        b"",
    ))
    .json();
    assert_eq!(history["bucketSeconds"], 60);
    let points = history["points"].as_array().unwrap();
    assert_eq!(points.len(), 60);
    let total = |field: &str| {
        points
            .iter()
            .map(|p| p[field].as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!(
        (total("invocations"), total("errors"), total("coldStarts")),
        (4, 1, 1)
    );
    let busy = points
        .iter()
        .rev()
        .find(|p| p["invocations"].as_u64() > Some(0))
        .unwrap();
    assert!(busy["durationP50Ms"].as_f64().unwrap() > 0.0);
    assert!(busy["durationP99Ms"].as_f64().unwrap() >= busy["durationP50Ms"].as_f64().unwrap());
    let starts: Vec<i64> = points
        .iter()
        .map(|p| p["startMs"].as_i64().unwrap())
        .collect();
    assert!(starts.windows(2).all(|w| w[1] - w[0] == 60_000));
    // Unsigned, it is refused like every API read.
    assert_eq!(
        raw(&server, "GET", "/_wasm-fc/metrics/watched/hello", &[], b"").status,
        403
    );

    for (name, config) in [
        (
            "hourly",
            json!({ "cronExpression": "0 0 * * * *", "enable": true }),
        ),
        (
            "paused",
            json!({ "cronExpression": "@every 1m", "enable": false }),
        ),
    ] {
        ok(call(
            &server,
            "POST",
            &format!("{P}/services/watched/functions/hello/triggers"),
            &[],
            json!({ "triggerName": name, "triggerType": "timer", "triggerConfig": config })
                .to_string()
                .as_bytes(),
        ));
    }
    let timers = ok(call(&server, "GET", "/_wasm-fc/timers", &[], b"")).json();
    let timers = timers["timers"].as_array().unwrap();
    let named =
        |name: &str| -> &Value { timers.iter().find(|t| t["triggerName"] == name).unwrap() };
    let hourly = named("hourly");
    assert_eq!(
        (
            &hourly["serviceName"],
            &hourly["functionName"],
            &hourly["qualifier"]
        ),
        (&json!("watched"), &json!("hello"), &json!("LATEST"))
    );
    let fires: Vec<chrono::DateTime<chrono::Utc>> = hourly["nextFireTimes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(fires.len(), 3);
    assert!(
        fires
            .windows(2)
            .all(|w| (w[1] - w[0]).num_seconds() == 3600)
    );
    assert!(fires[0] > chrono::Utc::now());
    assert_eq!(named("paused")["enable"], false);
    assert_eq!(named("paused")["nextFireTimes"], json!([]));
}

/// A signed-out session stays out after the server restarts; one that was not
/// signed out still works (the signing key lives in the data dir).
#[test]
fn a_signed_out_session_stays_out_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let server = common::start(data.path());
    let cookie_of = |reply: &Reply| {
        reply
            .header("set-cookie")
            .and_then(|c| c.strip_prefix("wfc_console="))
            .and_then(|rest| rest.split(';').next())
            .unwrap()
            .to_string()
    };
    let out = ok(sign_in(&server, KEY_ID, SECRET));
    let (out_cookie, csrf) = (
        cookie_of(&out),
        out.json()["csrfToken"].as_str().unwrap().to_string(),
    );
    let kept = cookie_of(&ok(sign_in(&server, KEY_ID, SECRET)));
    let signed_out = console_call(
        &server,
        "DELETE",
        "/console/session",
        &out_cookie,
        Some(&csrf),
        b"",
    );
    assert_eq!(signed_out.status, 204, "{}", signed_out.text());
    drop(server);
    let server = common::start(data.path());
    let services = "/console/api/2016-08-15/services";
    assert_eq!(
        console_call(&server, "GET", services, &out_cookie, None, b"").status,
        401
    );
    assert_eq!(
        console_call(&server, "GET", services, &kept, None, b"").status,
        200
    );
}

/// On nodes sharing PostgreSQL, a session made on one node works on the
/// others (the signing key is the cluster's), and a console log read gathers
/// the records of invocations that ran on another node.
#[test]
fn on_a_cluster_a_session_works_on_every_node_and_reads_every_nodes_logs() {
    let Some(db) = common::postgres::Database::create("console_on_a_cluster") else {
        return;
    };
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = common::start_with_args(dir_a.path(), &["--store", &db.url]);
    let b = common::start_with_args(dir_b.path(), &["--store", &db.url]);
    create_service(&a, "shared", json!({}));
    ok(call(
        &a,
        "POST",
        &format!("{P}/services/shared/functions"),
        &[],
        &function_body("hello", wasm_fc_test_guests::EVENT_HELLO, json!({})),
    ));
    let ran = ok(call(
        &a,
        "POST",
        &format!("{P}/services/shared/functions/hello/invocations"),
        &[],
        br#"{"name":"on-a"}"#,
    ));
    let request_id = ran.header("x-fc-request-id").unwrap().to_string();

    let signed_in = ok(sign_in(&a, KEY_ID, SECRET));
    let cookie = signed_in
        .header("set-cookie")
        .and_then(|c| c.strip_prefix("wfc_console="))
        .and_then(|rest| rest.split(';').next())
        .unwrap()
        .to_string();
    let on_b = console_call(
        &b,
        "GET",
        "/console/api/2016-08-15/services/shared",
        &cookie,
        None,
        b"",
    );
    assert_eq!(on_b.status, 200, "{}", on_b.text());
    common::eventually("B's console log read shows the invocation A ran", || {
        let logs = console_call(
            &b,
            "GET",
            "/console/api/_wasm-fc/logs/shared/hello",
            &cookie,
            None,
            b"",
        );
        logs.status == 200
            && logs.json()["records"]
                .as_array()
                .is_some_and(|r| r.iter().any(|x| x["requestId"] == request_id.as_str()))
    });
}

/// Chromium, from `WASM_FC_CHROMIUM` or Debian's `/usr/bin/chromium`.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("WASM_FC_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    path.exists().then_some(path)
}

/// Runs one browser suite (tests/console/{file}) against `server`.
fn browser_suite(test: &str, file: &str, server: &Server, runtimes: bool) {
    let Some(chromium) = chromium() else {
        common::skip(test, "Chromium (apt-get install chromium)");
        return;
    };
    let screenshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/console-screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();
    let env: Vec<(&str, OsString)> = vec![
        ("WASM_FC_ENDPOINT", server.endpoint.clone().into()),
        ("WASM_FC_KEY_ID", KEY_ID.into()),
        ("WASM_FC_SECRET", SECRET.into()),
        (
            "WASM_FC_EVENT_HELLO_WASM",
            wasm_fc_test_guests::EVENT_HELLO.into(),
        ),
        (
            "WASM_FC_HTTP_HELLO_WASM",
            wasm_fc_test_guests::HTTP_HELLO.into(),
        ),
        // Logs `event <the event JSON>` and returns it: what a timer fire shows.
        (
            "WASM_FC_LOGGER_WASM",
            wasm_fc_test_guests::OSS_HANDLER.into(),
        ),
        ("WASM_FC_RUNTIMES", if runtimes { "1" } else { "0" }.into()),
        ("WASM_FC_CHROMIUM", chromium.into()),
        ("WASM_FC_SCREENSHOTS", screenshots.into()),
        (
            "CONSOLE_NODE_MODULES",
            common::node::packages("console", "console-node").into(),
        ),
    ];
    common::node::run("console", file, &env);
}

#[test]
fn in_chromium_sign_in_is_checked_and_writes_need_the_csrf_token() {
    let data = tempfile::tempdir().unwrap();
    let server = common::start(data.path());
    browser_suite("console_auth", "console_auth.test.mjs", &server, false);
}

#[test]
fn in_chromium_functions_are_deployed_invoked_watched_and_deleted() {
    let data = tempfile::tempdir().unwrap();
    let server = common::start(data.path());
    browser_suite(
        "console_functions",
        "console_functions.test.mjs",
        &server,
        false,
    );
}

#[test]
fn in_chromium_python_and_nodejs_templates_are_edited_and_invoked() {
    let data = tempfile::tempdir().unwrap();
    let server = common::start_with_runtimes(data.path());
    browser_suite(
        "console_template",
        "console_template.test.mjs",
        &server,
        true,
    );
}

#[test]
fn in_chromium_stored_markup_never_runs() {
    let data = tempfile::tempdir().unwrap();
    let server = common::start(data.path());
    browser_suite("console_xss", "console_xss.test.mjs", &server, false);
}
