//! The control plane's store, end to end on a real `wasm-fc run` (issue 16):
//! check-then-write rules hold under concurrent requests (each is one store
//! transaction), and a warm invocation reads nothing from the store.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use common::*;
use serde_json::{Value, json};

/// Runs `n` copies of `request(i)` at once (released together by a barrier).
fn race(n: usize, request: impl Fn(usize) -> Reply + Sync) -> Vec<Reply> {
    let start_line = std::sync::Barrier::new(n);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (request, start_line) = (&request, &start_line);
                scope.spawn(move || {
                    start_line.wait();
                    request(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn create_function(s: &Server, svc: &str, name: &str) {
    ok(call(
        s,
        "POST",
        &format!("{P}/services/{svc}/functions"),
        &[],
        &function_body(name, wasm_fc_test_guests::EVENT_HELLO, json!({})),
    ));
}

fn list_triggers(s: &Server, svc: &str, func: &str) -> Vec<Value> {
    let reply = ok(call(
        s,
        "GET",
        &format!("{P}/services/{svc}/functions/{func}/triggers?limit=100"),
        &[],
        b"",
    ));
    reply.json()["triggers"].as_array().unwrap().clone()
}

/// `wasm_fc_store_operations_total{class}` from `/metrics`.
fn store_operations(s: &Server, class: &str) -> u64 {
    let text = unsigned(s, "GET", "/metrics", &[], b"").text();
    let series = format!("wasm_fc_store_operations_total{{class=\"{class}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&series))
        .unwrap_or_else(|| panic!("no {series} in /metrics:\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn fifty_concurrent_http_trigger_creates_leave_exactly_one() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    create_service(&s, "race", json!({}));
    create_function(&s, "race", "f");
    let replies = race(50, |i| {
        create_trigger(
            &s,
            "race",
            "f",
            json!({ "triggerName": format!("h{i}"), "triggerType": "http",
                    "triggerConfig": { "authType": "anonymous", "methods": ["GET"] } }),
        )
    });
    let created: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
    assert_eq!(
        created.len(),
        1,
        "one HTTP trigger per function and qualifier"
    );
    for reply in replies.iter().filter(|r| r.status != 200) {
        assert_eq!(reply.status, 400, "{}", reply.text());
        assert_eq!(reply.json()["ErrorCode"], "InvalidArgument");
        assert!(
            reply.text().contains("one HTTP trigger per function"),
            "{}",
            reply.text()
        );
    }
    let stored = list_triggers(&s, "race", "f");
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0]["triggerName"], created[0].json()["triggerName"]);
}

#[test]
fn concurrent_creates_of_http_and_timer_triggers_keep_them_exclusive() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    create_service(&s, "mix", json!({}));
    create_function(&s, "mix", "f");
    // Half HTTP, half timers, all at once: either one HTTP trigger wins and no
    // timer is created, or only timers are.
    let replies = race(50, |i| {
        let body = if i % 2 == 0 {
            json!({ "triggerName": format!("h{i}"), "triggerType": "http",
                    "triggerConfig": { "authType": "anonymous", "methods": ["GET"] } })
        } else {
            json!({ "triggerName": format!("t{i}"), "triggerType": "timer",
                    "triggerConfig": { "cronExpression": "@every 1h", "enable": false } })
        };
        create_trigger(&s, "mix", "f", body)
    });
    for reply in &replies {
        assert!(
            reply.status == 200 || reply.status == 400,
            "{}",
            reply.text()
        );
    }
    let stored = list_triggers(&s, "mix", "f");
    let http = stored.iter().filter(|t| t["triggerType"] == "http").count();
    let timers = stored
        .iter()
        .filter(|t| t["triggerType"] == "timer")
        .count();
    assert!(
        (http == 1 && timers == 0) || (http == 0 && timers == 25),
        "http {http}, timers {timers}"
    );
    assert_eq!(
        replies.iter().filter(|r| r.status == 200).count(),
        stored.len(),
        "every 200 is a stored trigger"
    );
}

#[test]
fn an_alias_never_points_at_a_version_deleted_concurrently() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    create_service(&s, "v", json!({}));
    create_function(&s, "v", "f");
    for round in 0..10 {
        let version = ok(call(
            &s,
            "POST",
            &format!("{P}/services/v/versions"),
            &[],
            format!(r#"{{"description":"round {round}"}}"#).as_bytes(),
        ))
        .json()["versionId"]
            .as_str()
            .unwrap()
            .to_string();
        let alias = format!("a{round}");
        let replies = race(2, |i| {
            if i == 0 {
                call(
                    &s,
                    "POST",
                    &format!("{P}/services/v/aliases"),
                    &[],
                    json!({ "aliasName": alias, "versionId": version })
                        .to_string()
                        .as_bytes(),
                )
            } else {
                call(
                    &s,
                    "DELETE",
                    &format!("{P}/services/v/versions/{version}"),
                    &[],
                    b"",
                )
            }
        });
        let (alias_made, version_gone) = (replies[0].status == 200, replies[1].status == 204);
        assert!(
            alias_made != version_gone,
            "exactly one wins: alias {} / delete {}",
            replies[0].text(),
            replies[1].text()
        );
        if alias_made {
            // The alias resolves: its version is still there.
            ok(call(
                &s,
                "GET",
                &format!("{P}/services/v/functions/f?qualifier={alias}"),
                &[],
                b"",
            ));
        }
        // A change, so the next round publishes a new version.
        ok(call(
            &s,
            "PUT",
            &format!("{P}/services/v"),
            &[],
            format!(r#"{{"description":"after round {round}"}}"#).as_bytes(),
        ));
    }
}

#[test]
fn a_warm_invoke_reads_nothing_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    create_service(&s, "warm", json!({}));
    create_function(&s, "warm", "f");
    ok(call(
        &s,
        "POST",
        &format!("{P}/services/warm/versions"),
        &[],
        b"{}",
    ));
    ok(call(
        &s,
        "POST",
        &format!("{P}/services/warm/aliases"),
        &[],
        br#"{"aliasName":"prod","versionId":"1"}"#,
    ));
    for qualifier in ["", "?qualifier=1", "?qualifier=prod", "?qualifier=LATEST"] {
        let invoke = || {
            let reply = call(
                &s,
                "POST",
                &format!("{P}/services/warm/functions/f/invocations{qualifier}"),
                &[],
                b"{}",
            );
            assert_eq!(reply.status, 200, "{qualifier}: {}", reply.text());
        };
        invoke(); // cold: resolves from the store and loads
        let before = store_operations(&s, "read");
        for _ in 0..20 {
            invoke();
        }
        assert_eq!(
            store_operations(&s, "read") - before,
            0,
            "20 warm invokes of {qualifier:?} read the store"
        );
    }
    // A write makes what was cached stale: the next invoke reads again and sees it.
    ok(call(
        &s,
        "PUT",
        &format!("{P}/services/warm/functions/f"),
        &[],
        br#"{"description":"changed"}"#,
    ));
    let before = store_operations(&s, "read");
    ok(call(
        &s,
        "POST",
        &format!("{P}/services/warm/functions/f/invocations"),
        &[],
        b"{}",
    ));
    assert!(store_operations(&s, "read") > before, "a write invalidates");
}

#[test]
fn an_alias_with_weights_splits_http_trigger_requests_between_its_versions() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    create_service(&s, "web", json!({}));
    ok(call(
        &s,
        "POST",
        &format!("{P}/services/web/functions"),
        &[],
        &function_body("f", wasm_fc_test_guests::HTTP_HELLO, json!({})),
    ));
    for description in ["one", "two"] {
        ok(call(
            &s,
            "PUT",
            &format!("{P}/services/web"),
            &[],
            json!({ "description": description }).to_string().as_bytes(),
        ));
        ok(call(
            &s,
            "POST",
            &format!("{P}/services/web/versions"),
            &[],
            b"{}",
        ));
    }
    ok(call(
        &s,
        "POST",
        &format!("{P}/services/web/aliases"),
        &[],
        br#"{"aliasName":"prod","versionId":"1","additionalVersionWeight":{"2":0.5}}"#,
    ));
    ok(create_trigger(
        &s,
        "web",
        "f",
        json!({ "triggerName": "public", "triggerType": "http", "qualifier": "prod",
                "triggerConfig": { "authType": "anonymous", "methods": ["GET"] } }),
    ));
    let mut seen = std::collections::BTreeMap::<String, u32>::new();
    for _ in 0..60 {
        let reply = unsigned(&s, "GET", &format!("{P}/proxy/web.prod/f/"), &[], b"");
        assert_eq!(reply.status, 200, "{}", reply.text());
        let version = reply
            .text()
            .lines()
            .find_map(|l| l.strip_prefix("header:x-fc-version-id="))
            .unwrap_or_else(|| panic!("no version header in {}", reply.text()))
            .to_string();
        *seen.entry(version).or_default() += 1;
    }
    // 60 fair coin flips all alike: 2 in 2^60.
    assert_eq!(
        seen.keys().map(String::as_str).collect::<Vec<_>>(),
        ["1", "2"],
        "{seen:?}"
    );
}
