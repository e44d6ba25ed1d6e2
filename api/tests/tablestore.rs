//! TableStore triggers end to end on real PostgreSQL: changes made with
//! `psql` reach a real guest (decoding FC's CBOR event with the guest SDK's
//! helper) in commit order; a failed batch is retried; `kill -9` of wasm-fc
//! mid-stream loses nothing; deleting the trigger removes the capture; bad
//! triggers get 400s. Each test makes its own database and drops it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use common::postgres::Database;
use common::{P, Server, call, create_service, create_trigger, function_body, invocation_logs, ok};
use serde_json::{Value, json};

fn psql(db: &Database, sql: &str) -> String {
    let out = Command::new("psql")
        .args([db.url.as_str(), "-v", "ON_ERROR_STOP=1", "-qtA", "-c", sql])
        .output()
        .expect("psql");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn start(dir: &std::path::Path, db: &Database) -> Server {
    common::start_with_args(dir, &["--table-instance", &format!("ots={}", db.url)])
}

fn deploy(s: &Server, env: Value) {
    create_service(s, "tbl", json!({}));
    ok(call(
        s,
        "POST",
        &format!("{P}/services/tbl/functions"),
        &[],
        &function_body(
            "f",
            wasm_fc_test_guests::TABLE_HANDLER,
            json!({"environmentVariables": env}),
        ),
    ));
}

fn trigger(table: &str) -> Value {
    json!({
        "triggerName": "t",
        "triggerType": "tablestore",
        "sourceArn": format!("acs:ots:cn-hangzhou:1234567890:instance/ots/table/{table}"),
        "triggerConfig": {}
    })
}

/// Every record the function logged, oldest first.
fn records(s: &Server) -> Vec<Value> {
    records_of(s, "f")
}

/// Every record `function` of `tbl` logged, oldest first.
fn records_of(s: &Server, function: &str) -> Vec<Value> {
    invocation_logs(s, "tbl", function)
        .iter()
        .flat_map(|log| {
            log.lines()
                .filter_map(|l| l.split_once("record ").map(|(_, j)| j.to_string()))
                .collect::<Vec<_>>()
        })
        .filter_map(|j| serde_json::from_str(&j).ok())
        .collect()
}

/// Rows written by the kill -9 test.
const ROWS: i64 = 120;

fn pk_of(record: &Value) -> i64 {
    record["pk"][0]["value"].as_i64().unwrap()
}

#[test]
fn changes_reach_the_function_in_commit_order_and_deleting_the_trigger_removes_the_capture() {
    let Some(db) = Database::create("tablestore changes") else {
        return;
    };
    psql(
        &db,
        "CREATE TABLE orders (id INT PRIMARY KEY, name TEXT, qty INT, price DOUBLE PRECISION)",
    );
    psql(&db, "CREATE TABLE nopk (id INT, name TEXT)");
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &db);
    deploy(&s, json!({}));

    // Bad triggers: each a 400 that says why, and nothing left behind.
    for (body, says) in [
        (
            json!({"triggerName": "t", "triggerType": "tablestore", "sourceArn": "acs:ots:cn-hangzhou:1:instance/ots/table/orders", "triggerConfig": {"x": 1}}),
            "triggerConfig",
        ),
        (trigger("nopk"), "primary key"),
        (trigger("missing"), "does not exist"),
        (
            json!({"triggerName": "t", "triggerType": "tablestore", "sourceArn": "acs:ots:cn-hangzhou:1:instance/other/table/orders", "triggerConfig": {}}),
            "--table-instance other=",
        ),
        (
            json!({"triggerName": "t", "triggerType": "tablestore", "sourceArn": "acs:ots:cn-hangzhou:1:orders", "triggerConfig": {}}),
            "sourceArn",
        ),
    ] {
        let reply = create_trigger(&s, "tbl", "f", body.clone());
        assert_eq!(reply.status, 400, "{body}: {}", reply.text());
        assert!(
            reply.text().contains(says),
            "{body}: {} should say {says}",
            reply.text()
        );
    }
    assert_eq!(
        psql(
            &db,
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'wasm_fc_capture'"
        ),
        "0"
    );
    let listed = ok(call(
        &s,
        "GET",
        &format!("{P}/services/tbl/functions/f/triggers"),
        &[],
        b"",
    ))
    .json();
    assert_eq!(
        listed["triggers"].as_array().unwrap().len(),
        0,
        "a refused trigger is not kept"
    );

    let created = ok(create_trigger(&s, "tbl", "f", trigger("orders")));
    assert!(
        !created.text().contains("postgres://"),
        "the instance's URL is never echoed"
    );
    for sql in [
        "INSERT INTO orders VALUES (1, 'a', 2, 1.5)",
        "UPDATE orders SET name = 'b', price = NULL WHERE id = 1",
        "INSERT INTO orders VALUES (2, 'c', 1, 2.0)",
        "DELETE FROM orders WHERE id = 1",
    ] {
        psql(&db, sql);
    }
    common::eventually("four records", || records(&s).len() >= 4);
    let got = records(&s);
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got.iter().all(|r| r["version"] == "Sync-v1"));
    let kinds: Vec<(&str, i64)> = got
        .iter()
        .map(|r| (r["type"].as_str().unwrap(), pk_of(r)))
        .collect();
    assert_eq!(
        kinds,
        [
            ("PutRow", 1),
            ("UpdateRow", 1),
            ("PutRow", 2),
            ("DeleteRow", 1)
        ]
    );
    let put = &got[0]["columns"];
    assert!(
        put.as_array().unwrap().contains(
            &json!({"type": "Put", "name": "name", "value": "a", "ts": got[0]["columns"][0]["ts"]})
        ),
        "{put}"
    );
    assert!(
        put.as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "price" && c["value"] == 1.5),
        "{put}"
    );
    let update = got[1]["columns"].as_array().unwrap();
    assert_eq!(update.len(), 2, "only the changed columns: {update:?}");
    assert!(
        update
            .iter()
            .any(|c| c["type"] == "Put" && c["name"] == "name" && c["value"] == "b")
    );
    assert!(
        update
            .iter()
            .any(|c| c["type"] == "DeleteOneVersion" && c["name"] == "price")
    );
    assert_eq!(got[3]["columns"], json!([]));
    let ts_us = got[0]["ts"].as_i64().unwrap();
    assert_eq!(ts_us.to_string().len(), 16, "Info.Timestamp is µs");
    assert_eq!(
        got[0]["columns"][0]["ts"].as_i64().unwrap(),
        ts_us / 1000,
        "column Timestamp is ms"
    );

    // Deleting the trigger removes the capture: the table's trigger and its changes.
    assert_eq!(
        psql(
            &db,
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'wasm_fc_capture'"
        ),
        "1"
    );
    let reply = call(
        &s,
        "DELETE",
        &format!("{P}/services/tbl/functions/f/triggers/t"),
        &[],
        b"",
    );
    assert_eq!(reply.status, 204, "{}", reply.text());
    common::eventually("the capture removed", || {
        psql(
            &db,
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'wasm_fc_capture'",
        ) == "0"
            && psql(&db, "SELECT count(*) FROM wasm_fc_capture.tables") == "0"
            && psql(&db, "SELECT count(*) FROM wasm_fc_capture.consumers") == "0"
    });
    psql(&db, "INSERT INTO orders VALUES (3, 'd', 1, 1.0)");
    assert_eq!(
        psql(&db, "SELECT count(*) FROM wasm_fc_capture.changes"),
        "0",
        "nothing is captured any more"
    );
}

#[test]
fn a_failed_batch_is_retried_and_kill_9_mid_stream_loses_no_change() {
    let Some(db) = Database::create("tablestore kill -9") else {
        return;
    };
    psql(&db, "CREATE TABLE items (id INT PRIMARY KEY, v TEXT)");
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &db);
    deploy(
        &s,
        json!({"TABLE_SLEEP_MS": "200", "TABLE_FAIL_ONCE_ON": "\"value\":7}"}),
    );
    ok(create_trigger(&s, "tbl", "f", trigger("items")));
    // 120 transactions, one row each, committed while the platform runs,
    // while it is killed, and after it is back.
    let url = db.url.clone();
    let writer = std::thread::spawn(move || {
        for i in 1..=ROWS {
            let out = Command::new("psql")
                .args([
                    url.as_str(),
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-qc",
                    &format!("INSERT INTO items VALUES ({i}, 'v{i}')"),
                ])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    });
    common::eventually("the stream under way", || records(&s).len() >= 10);
    let data_dir = s.data_dir.clone();
    drop(s); // SIGKILL, mid-stream
    let delivered_before = psql(&db, "SELECT position FROM wasm_fc_capture.consumers")
        .parse::<i64>()
        .unwrap();
    let s = start(&data_dir, &db);
    writer.join().unwrap();
    assert!(
        delivered_before < ROWS,
        "the kill came mid-stream ({delivered_before} of {ROWS} delivered)"
    );
    common::eventually("every change delivered", || {
        records(&s).iter().map(pk_of).collect::<BTreeSet<_>>().len() == ROWS as usize
    });
    // In commit order: each id first arrives after every smaller one.
    let mut seen = BTreeSet::new();
    let mut order = Vec::new();
    for r in records(&s) {
        if seen.insert(pk_of(&r)) {
            order.push(pk_of(&r));
        }
    }
    assert_eq!(order, (1..=ROWS).collect::<Vec<_>>());
    // The batch holding id 7 failed once, and ran again.
    let runs = ok(call(&s, "GET", "/_wasm-fc/logs/tbl/f?limit=1000", &[], b"")).json();
    let failed = runs["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] != "success")
        .count();
    assert!(failed >= 1, "{runs}");
}

#[test]
fn python_and_nodejs_handlers_decode_the_event_in_one_line() {
    let Some(db) = Database::create("tablestore runtimes") else {
        return;
    };
    psql(
        &db,
        "CREATE TABLE events (id BIGINT PRIMARY KEY, body TEXT)",
    );
    let dir = tempfile::tempdir().unwrap();
    let mut command = common::run_command(0, dir.path());
    command
        .env_remove("WASM_FC_NO_RUNTIMES")
        .env("WASM_FC_RUNTIMES_DIR", common::runtimes_dir())
        .args(["--table-instance", &format!("ots={}", db.url)]);
    let s = common::spawn(command, 0, dir.path());
    create_service(&s, "tbl", json!({}));
    for (name, runtime, fixture) in [
        ("py", "python3.10", "python/tablestore"),
        ("js", "nodejs18", "nodejs/tablestore"),
    ] {
        let files = common::files_of(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/runtimes")
                .join(fixture),
        );
        let body = json!({
            "functionName": name, "runtime": runtime, "handler": "index.handler",
            "code": {"zipFile": common::zip_files(&files)},
        });
        ok(call(
            &s,
            "POST",
            &format!("{P}/services/tbl/functions"),
            &[],
            body.to_string().as_bytes(),
        ));
        let mut t = trigger("events");
        t["triggerName"] = json!(format!("t-{name}"));
        ok(create_trigger(&s, "tbl", name, t));
    }
    psql(
        &db,
        "INSERT INTO events VALUES (9007199254740993, 'big'), (2, 'small')",
    );
    for name in ["py", "js"] {
        common::eventually(&format!("{name} records"), || {
            records_of(&s, name).len() >= 2
        });
        let got = records_of(&s, name);
        assert!(
            got.iter()
                .all(|r| r["version"] == "Sync-v1" && r["type"] == "PutRow"),
            "{name}: {got:?}"
        );
        assert_eq!(got[1]["pk"], json!([{"name": "id", "value": 2}]), "{name}");
        // 2^53 + 1 keeps every digit: an int in Python, a BigInt in Node.js.
        let big = if name == "py" {
            json!(9007199254740993i64)
        } else {
            json!("9007199254740993")
        };
        assert_eq!(
            got[0]["pk"],
            json!([{"name": "id", "value": big}]),
            "{name}"
        );
    }
    // Two triggers share the table's capture: removing one keeps it for the other.
    let reply = call(
        &s,
        "DELETE",
        &format!("{P}/services/tbl/functions/py/triggers/t-py"),
        &[],
        b"",
    );
    assert_eq!(reply.status, 204, "{}", reply.text());
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(
        psql(
            &db,
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'wasm_fc_capture'"
        ),
        "1"
    );
    psql(&db, "INSERT INTO events VALUES (3, 'later')");
    common::eventually("js gets the later row", || records_of(&s, "js").len() >= 3);
}

#[test]
fn the_decoders_pass_their_host_tests() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for (tool, args) in [
        (
            "python3",
            vec!["-m", "unittest", "tests/python/test_tablestore_decode.py"],
        ),
        ("node", vec!["--test", "tests/node/"]),
    ] {
        let out = match Command::new(tool).args(&args).current_dir(root).output() {
            Ok(out) => out,
            Err(e) => {
                common::skip(
                    "the_decoders_pass_their_host_tests",
                    &format!("{tool} cannot run ({e})"),
                );
                continue;
            }
        };
        assert!(
            out.status.success(),
            "{tool} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
