//! Two nodes on PostgreSQL while PostgreSQL goes away for 10 s under load
//! (issue 17): the API answers 503 in FC's error shape instead of hanging,
//! nothing that was accepted (202) is lost, and the nodes recover by
//! themselves.
//!
//! The outage is real from the nodes' side: they reach the real server through
//! a TCP relay this test owns, and cutting it resets every connection and
//! refuses new ones, as a stopped or restarting server does, without stopping
//! the machine's PostgreSQL under the other tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::postgres::Database;
use common::*;
use serde_json::json;

/// A TCP relay to PostgreSQL that can be cut (every connection reset, new
/// ones closed at once) and restored.
struct Relay {
    port: u16,
    cut: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Relay {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (cut2, open2) = (cut.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                if cut2.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect("127.0.0.1:5432") else {
                    continue;
                };
                let mut open = open2.lock().unwrap();
                open.push(client.try_clone().unwrap());
                open.push(server.try_clone().unwrap());
                pump(client.try_clone().unwrap(), server.try_clone().unwrap());
                pump(server, client);
            }
        });
        Self { port, cut, open }
    }

    /// The database's URL through the relay.
    fn url(&self, db: &Database) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{}", self.port, db.name)
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 << 10];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 || to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Both);
    });
}

#[test]
fn a_postgres_outage_under_load_answers_503_loses_nothing_and_recovers() {
    let Some(db) = Database::create("a_postgres_outage_under_load") else {
        return;
    };
    let relay = Relay::start();
    let url = relay.url(&db);
    let nas = tempfile::tempdir().unwrap();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let nodes: Vec<Server> = dirs
        .iter()
        .map(|d| start_with_args(d.path(), &["--store", &url]))
        .collect();
    let mount = json!({ "nasConfig": { "mountPoints": [{ "serverAddr": nas.path().display().to_string(), "mountDir": "/mnt/nas" }] } });
    create_service(&nodes[0], "outage", mount);
    ok(call(
        &nodes[0],
        "POST",
        &format!("{P}/services/outage/functions"),
        &[],
        &function_body(
            "sink",
            wasm_fc_test_guests::HOSTILE,
            json!({ "environmentVariables": { "HOSTILE_SINK": "/mnt/nas/" } }),
        ),
    ));
    let path = format!("{P}/services/outage/functions/sink/invocations");
    let accepted: Mutex<BTreeSet<u64>> = Mutex::default();
    let statuses: Mutex<Vec<(u16, String, Duration)>> = Mutex::default();
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for client in 0..2u64 {
            let (nodes, path, accepted, statuses, stop) =
                (&nodes, &path, &accepted, &statuses, &stop);
            scope.spawn(move || {
                let mut n = client;
                while !stop.load(Ordering::SeqCst) {
                    let node = &nodes[(n / 2) as usize % nodes.len()];
                    let started = Instant::now();
                    let r = call(
                        node,
                        "POST",
                        path,
                        &[("x-fc-invocation-type", "Async")],
                        format!("{{\"n\":{n}}}").as_bytes(),
                    );
                    let code = if r.status == 202 {
                        accepted.lock().unwrap().insert(n);
                        String::new()
                    } else {
                        serde_json::from_slice::<serde_json::Value>(&r.body)
                            .ok()
                            .and_then(|b| b["ErrorCode"].as_str().map(str::to_string))
                            .unwrap_or_else(|| r.text())
                    };
                    statuses
                        .lock()
                        .unwrap()
                        .push((r.status, code, started.elapsed()));
                    n += 2;
                    std::thread::sleep(Duration::from_millis(20));
                }
            });
        }
        std::thread::sleep(Duration::from_secs(3));
        relay.cut();
        // Control-plane calls during the outage: 503, FC's shape, promptly.
        std::thread::sleep(Duration::from_secs(1));
        let started = Instant::now();
        let r = call(&nodes[1], "GET", &format!("{P}/services/outage"), &[], b"");
        assert_eq!(r.status, 503, "{}", r.text());
        assert_eq!(r.json()["ErrorCode"], "ServiceUnavailable");
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "answered, not hung"
        );
        std::thread::sleep(Duration::from_secs(9));
        relay.restore();
        // The nodes recover by themselves: a write through either succeeds.
        for node in &nodes {
            let recovered = Instant::now() + Duration::from_secs(30);
            loop {
                let r = call(
                    node,
                    "PUT",
                    &format!("{P}/services/outage"),
                    &[],
                    br#"{"description":"back"}"#,
                );
                if r.status == 200 {
                    break;
                }
                assert!(Instant::now() < recovered, "no recovery: {}", r.text());
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        std::thread::sleep(Duration::from_secs(3));
        stop.store(true, Ordering::SeqCst);
    });
    let statuses = statuses.into_inner().unwrap();
    let unexpected: Vec<_> = statuses
        .iter()
        .filter(|(status, code, _)| {
            !(*status == 202 || (*status == 503 && code == "ServiceUnavailable"))
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "answers other than 202 or 503: {unexpected:?}"
    );
    assert!(
        statuses.iter().any(|(s, _, _)| *s == 503),
        "the outage was seen"
    );
    // Every accepted invocation runs (at least once).
    let accepted = accepted.into_inner().unwrap();
    let ran = || {
        let text = std::fs::read_to_string(nas.path().join("events.jsonl")).unwrap_or_default();
        text.split("{\"n\":")
            .skip(1)
            .filter_map(|p| {
                p.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
                    .parse::<u64>()
                    .ok()
            })
            .collect::<BTreeSet<u64>>()
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    while !accepted.is_subset(&ran()) {
        assert!(
            Instant::now() < deadline,
            "accepted but never ran: {:?}",
            accepted.difference(&ran()).collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
