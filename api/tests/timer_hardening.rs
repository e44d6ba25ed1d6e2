//! Issue 15, item 10: one timer must not take the platform down. A schedule out
//! of bounds is a 400 on CreateTrigger and UpdateTrigger; a stored row that no
//! longer validates is skipped at start-up (logged, counted) while the other
//! timers keep firing.

mod common;

use common::*;
use serde_json::{Value, json};

fn timer(name: &str, cron: &str) -> Value {
    json!({ "triggerName": name, "triggerType": "timer",
            "triggerConfig": { "cronExpression": cron, "enable": true, "payload": "" } })
}

/// The sum of a metric's samples in `/metrics` (all label sets), if it has any.
fn metric(s: &Server, name: &str) -> Option<f64> {
    let text = call(s, "GET", "/metrics", &[], b"").text();
    let samples: Vec<f64> = text
        .lines()
        .filter(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse().ok())
        .collect();
    (!samples.is_empty()).then(|| samples.iter().sum())
}

fn assert_refused(reply: &Reply, bound: &str) {
    assert_eq!(reply.status, 400, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["ErrorCode"], "InvalidArgument", "{body}");
    let message = body["ErrorMessage"].as_str().unwrap_or_default();
    assert!(
        message.contains(bound),
        "{message:?} does not name {bound:?}"
    );
}

#[test]
fn out_of_bounds_schedules_are_refused_and_a_bad_stored_row_does_not_stop_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    create_service(&s, "tick", json!({}));
    ok(call(
        &s,
        "POST",
        &format!("{P}/services/tick/functions"),
        &[],
        &function_body("f", wasm_fc_test_guests::EVENT_HELLO, json!({})),
    ));

    // The hostile probe's timer, and the other forms' bounds.
    for (expression, bound) in [
        ("@every 3000000000h", "at most 8784h"),
        ("1969-12-31T23:59:59Z", "from 1970-01-01T00:00:00Z"),
        ("275000-01-01T00:00:00Z", "RFC 3339"),
        ("0 0 0 1 1 ? 2101", "2101"),
    ] {
        let reply = create_trigger(&s, "tick", "f", timer("hostile", expression));
        assert_refused(&reply, bound);
    }
    // A good timer at the shortest interval; UpdateTrigger is bounded as well.
    ok(create_trigger(&s, "tick", "f", timer("good", "@every 1s")));
    let path = format!("{P}/services/tick/functions/f/triggers/good");
    let update =
        json!({ "triggerConfig": { "cronExpression": "@every 3000000000h", "enable": true } });
    assert_refused(
        &call(&s, "PUT", &path, &[], update.to_string().as_bytes()),
        "at most 8784h",
    );
    wait_for(
        || metric(&s, "wasm_fc_timer_fires_total").is_some_and(|n| n >= 1.0),
        "the good timer fires",
    );
    assert_eq!(metric(&s, "wasm_fc_trigger_load_errors_total"), Some(0.0));
    drop(s);

    // Rows the API would refuse now, written straight into the stopped server's
    // store: copies of the good row with a bad schedule.
    let db = rusqlite::Connection::open(dir.path().join("wasm-fc.db")).unwrap();
    for (name, expression) in [
        ("hostile", "@every 3000000000h"),
        ("ancient", "1969-01-01T00:00:00Z"),
    ] {
        let inserted = db
            .execute(
                "INSERT INTO resources (kind, scope, name, body)
                 SELECT kind, scope, ?1,
                        json_set(body, '$.triggerName', ?1, '$.triggerConfig.cronExpression', ?2)
                 FROM resources WHERE kind = 'trigger' AND scope = 'tick/f' AND name = 'good'",
                rusqlite::params![name, expression],
            )
            .unwrap();
        assert_eq!(inserted, 1, "the good row to copy is there");
    }
    drop(db);

    // It starts (the banner lists the timers; /readyz follows it), skips and
    // counts both rows, and the good timer fires again.
    let s = start(dir.path());
    wait_for(
        || call(&s, "GET", "/readyz", &[], b"").status == 200,
        "ready after start-up",
    );
    wait_for(
        || metric(&s, "wasm_fc_timer_fires_total").is_some_and(|n| n >= 1.0),
        "the good timer fires after the restart",
    );
    assert_eq!(metric(&s, "wasm_fc_trigger_load_errors_total"), Some(2.0));
    assert_eq!(metric(&s, "wasm_fc_task_panics_total"), Some(0.0));

    // The bad rows are still there to see, fix or delete.
    let hostile = format!("{P}/services/tick/functions/f/triggers/hostile");
    let row = ok(call(&s, "GET", &hostile, &[], b"")).json();
    assert_eq!(row["triggerConfig"]["cronExpression"], "@every 3000000000h");
    assert_eq!(call(&s, "DELETE", &hostile, &[], b"").status, 204);
}
