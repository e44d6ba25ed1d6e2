//! `benches/event-sources`: TableStore and Log triggers (issue 20), end to end
//! against a real `wasm-fc run` and the real PostgreSQL at 127.0.0.1:5432.
//!
//! - **Table → function, records/s**: N rows committed in one transaction,
//!   until the trigger has delivered all N (its `delivered` counter), against
//!   the floor measured in the same run: the same N records as the same CBOR
//!   batches of 100, sent to the same warm function by sync InvokeFunction
//!   back to back.
//! - **Log trigger lag** at `triggerInterval` 3: entry appended → invocation
//!   start (the guest logs its start on the host clock), p50 and p99, against
//!   the floor measured in the same run (append, then InvokeFunction at once)
//!   and against an ideal poller's (half and 99% of the interval).
//!
//! ```text
//! event-source-bench --bin target/release/wasm-fc [--records 100000] [--entries 60] [--smoke]
//! ```

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use base64::Engine as _;
use clap::Parser;
use serde_json::{Value, json};
use wasm_fc_api::client::Client;
use wasm_fc_api::control::credentials::Credentials;
use wasm_fc_api::triggers::tablestore::{capture::Change, records};

const ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const P: &str = "/2016-08-15";

#[derive(Parser)]
struct Args {
    /// The wasm-fc binary.
    #[arg(long)]
    bin: String,
    /// Rows for the records/s run.
    #[arg(long, default_value_t = 100_000)]
    records: i64,
    /// Log entries for the lag run (one every ~1.5 s).
    #[arg(long, default_value_t = 60)]
    entries: usize,
    /// A few seconds, no claims about numbers.
    #[arg(long)]
    smoke: bool,
}

fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(bin: &str, dir: &std::path::Path, db_url: &str) -> anyhow::Result<(Server, String)> {
    let mut child = Command::new(bin)
        .args([
            "run",
            "--listen",
            "127.0.0.1:0",
            "--oss-listen",
            "127.0.0.1:0",
            "--no-runtimes",
            "--data-dir",
        ])
        .arg(dir)
        .args(["--table-instance", &format!("ots={db_url}")])
        .env("WASM_FC_ACCESS_KEY_ID", "BENCHKEY")
        .env("WASM_FC_ACCESS_KEY_SECRET", "bench-secret-0123456789")
        .env("WASM_FC_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .context("starting wasm-fc")?;
    let stdout = child.stdout.take().context("stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let endpoint = loop {
        let line = lines.next().context("wasm-fc printed no banner")??;
        if let Some((_, e)) = line.split_once(" serving FC 2.0 at ") {
            break e.trim().replace("://0.0.0.0:", "://127.0.0.1:");
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Ok((Server(child), endpoint))
}

fn client(endpoint: &str) -> Client {
    Client::new(
        endpoint,
        Credentials {
            access_key_id: "BENCHKEY".into(),
            access_key_secret: "bench-secret-0123456789".into(),
        },
    )
}

fn zip_of(wasm: &[u8]) -> anyhow::Result<String> {
    Ok(wasm_fc_benches::zip_base64(wasm))
}

fn deploy(c: &Client, svc: &str, name: &str, guest: &str) -> anyhow::Result<()> {
    let wasm = std::fs::read(guest).with_context(|| format!("reading {guest}"))?;
    let _ = c.call(
        "POST",
        &format!("{P}/services"),
        &[],
        json!({"serviceName": svc}).to_string().as_bytes(),
    );
    let body = json!({"functionName": name, "runtime": "custom", "handler": "index.handler", "timeout": 60,
        "code": {"zipFile": zip_of(&wasm)?}});
    c.call(
        "POST",
        &format!("{P}/services/{svc}/functions"),
        &[],
        body.to_string().as_bytes(),
    )?;
    Ok(())
}

fn metric(endpoint: &str, series: &str) -> f64 {
    let text = ureq::get(&format!("{endpoint}/metrics"))
        .call()
        .ok()
        .and_then(|mut r| r.body_mut().read_to_string().ok())
        .unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// Records/s: the trigger against sync invokes of the same batches.
fn table_run(
    c: &Client,
    endpoint: &str,
    db: &mut postgres::Client,
    n: i64,
) -> anyhow::Result<(f64, f64)> {
    deploy(c, "bench", "t", wasm_fc_test_guests::TABLE_HANDLER)?;
    // Warm, then the floor: the same records, the same batches of 100.
    let pk = vec!["id".to_string()];
    let batches: Vec<Vec<u8>> = (0..n)
        .collect::<Vec<_>>()
        .chunks(100)
        .map(|ids| {
            records::encode(
                ids.iter()
                    .flat_map(|i| {
                        records::records_of(
                            &pk,
                            &Change {
                                seq: *i,
                                op: "INSERT".into(),
                                ts_us: now_us(),
                                old: None,
                                new: Some(json!({"id": i, "v": format!("v{i}")})),
                            },
                        )
                    })
                    .collect(),
            )
        })
        .collect();
    c.call(
        "POST",
        &format!("{P}/services/bench/functions/t/invocations"),
        &[],
        &batches[0],
    )?;
    let started = Instant::now();
    for batch in &batches {
        c.call(
            "POST",
            &format!("{P}/services/bench/functions/t/invocations"),
            &[],
            batch,
        )?;
    }
    let floor = n as f64 / started.elapsed().as_secs_f64();

    db.batch_execute("CREATE TABLE items (id BIGINT PRIMARY KEY, v TEXT)")?;
    let trigger = json!({"triggerName": "tt", "triggerType": "tablestore",
        "sourceArn": "acs:ots:cn-hangzhou:1:instance/ots/table/items", "triggerConfig": {}});
    c.call(
        "POST",
        &format!("{P}/services/bench/functions/t/triggers"),
        &[],
        trigger.to_string().as_bytes(),
    )?;
    std::thread::sleep(Duration::from_secs(1));
    let delivered =
        "wasm_fc_event_source_events_total{trigger=\"bench/t/tt\",outcome=\"delivered\"}";
    db.execute(
        "INSERT INTO items SELECT i, 'v' || i FROM generate_series(1, $1::bigint) i",
        &[&n],
    )?;
    let started = Instant::now();
    while metric(endpoint, delivered) < n as f64 {
        if started.elapsed() > Duration::from_secs(600) {
            bail!(
                "the trigger delivered {} of {n} in 10 minutes",
                metric(endpoint, delivered)
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok((n as f64 / started.elapsed().as_secs_f64(), floor))
}

fn cursor_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn decode_cursor(c: &str) -> i64 {
    base64::engine::general_purpose::STANDARD
        .decode(c)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|t| t.parse().ok())
        .unwrap_or(-1)
}

/// (start_us, event) per invocation of `svc/fn`, from its log.
fn starts(c: &Client, svc: &str, function: &str) -> anyhow::Result<Vec<(i64, Value)>> {
    let reply = c
        .call(
            "GET",
            &format!("/_wasm-fc/logs/{svc}/{function}?limit=1000"),
            &[],
            &[],
        )?
        .json();
    Ok(reply["records"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|r| {
            let log = r["log"].as_str()?;
            let start = log.lines().find_map(|l| {
                l.split_once("start_us ")
                    .and_then(|(_, v)| v.trim().parse().ok())
            })?;
            let event = log.lines().find_map(|l| {
                l.split_once("event ")
                    .and_then(|(_, j)| serde_json::from_str(j).ok())
            })?;
            Some((start, event))
        })
        .collect())
}

/// Lag p50/p99 (ms) of the Log trigger, and of the floor.
fn log_run(c: &Client, entries: usize) -> anyhow::Result<((f64, f64), (f64, f64))> {
    deploy(c, "bench", "l", wasm_fc_test_guests::OSS_HANDLER)?;
    deploy(c, "bench", "direct", wasm_fc_test_guests::OSS_HANDLER)?;
    let logstore = "/_wasm-fc/log/projects/bench-proj/logstores";
    c.call(
        "POST",
        logstore,
        &[],
        json!({"logstoreName": "src"}).to_string().as_bytes(),
    )?;
    c.call(
        "POST",
        logstore,
        &[],
        json!({"logstoreName": "floor"}).to_string().as_bytes(),
    )?;
    let append = |store: &str, n: usize| -> anyhow::Result<(String, i64)> {
        let sent = now_us();
        let r = c
            .call(
                "POST",
                &format!("{logstore}/{store}/entries"),
                &[],
                json!({"logs": [{"n": n}]}).to_string().as_bytes(),
            )?
            .json();
        Ok((cursor_of(&r["beginCursor"]), sent))
    };
    // The floor: an entry appended, then the function invoked at once.
    let mut floor = Vec::new();
    c.call(
        "POST",
        &format!("{P}/services/bench/functions/direct/invocations"),
        &[],
        b"{}",
    )?;
    let mut sent_at = Vec::new();
    for n in 0..20 {
        let (_, sent) = append("floor", n)?;
        sent_at.push(sent);
        c.call(
            "POST",
            &format!("{P}/services/bench/functions/direct/invocations"),
            &[],
            format!("{{\"n\":{n},\"floor\":true}}").as_bytes(),
        )?;
    }
    // The function log reaches its file within the writer's 20 ms batch.
    std::thread::sleep(Duration::from_millis(500));
    for (start, event) in starts(c, "bench", "direct")? {
        if event["floor"] == true
            && let Some(n) = event["n"].as_u64()
        {
            floor.push((start - sent_at[n as usize]) as f64 / 1000.0);
        }
    }
    let trigger = json!({"triggerName": "lt", "triggerType": "log",
        "sourceArn": "acs:log:cn-hangzhou:1:project/bench-proj",
        "triggerConfig": {"sourceConfig": {"logstore": "src"}, "jobConfig": {"triggerInterval": 3, "maxRetryTime": 0}}});
    c.call(
        "POST",
        &format!("{P}/services/bench/functions/l/triggers"),
        &[],
        trigger.to_string().as_bytes(),
    )?;
    std::thread::sleep(Duration::from_secs(1));
    let mut appended = std::collections::HashMap::new();
    for n in 0..entries {
        let (cursor, sent) = append("src", n)?;
        appended.insert(decode_cursor(&cursor), sent);
        // Arrivals spread over the interval: 1.0–2.0 s apart.
        std::thread::sleep(Duration::from_millis(1000 + fastrand_ms(n)));
    }
    std::thread::sleep(Duration::from_secs(5));
    let mut lags = Vec::new();
    for (start, event) in starts(c, "bench", "l")? {
        for entry in event["logs"].as_array().cloned().unwrap_or_default() {
            if let Some(sent) = appended.get(&decode_cursor(
                entry["__cursor__"].as_str().unwrap_or_default(),
            )) {
                lags.push((start - sent) as f64 / 1000.0);
            }
        }
    }
    if lags.len() != entries {
        bail!("{} of {entries} entries reached the function", lags.len());
    }
    lags.sort_by(f64::total_cmp);
    floor.sort_by(f64::total_cmp);
    Ok((
        (percentile(&lags, 0.5), percentile(&lags, 0.99)),
        (percentile(&floor, 0.5), percentile(&floor, 0.99)),
    ))
}

/// A deterministic spread of 0–999 ms.
fn fastrand_ms(n: usize) -> u64 {
    ((n as u64).wrapping_mul(2_654_435_761) >> 7) % 1000
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (records, entries) = if args.smoke {
        (500, 3)
    } else {
        (args.records, args.entries)
    };
    let name = format!("wasm_fc_bench_{}", std::process::id());
    let mut admin = postgres::Client::connect(ADMIN, postgres::NoTls)
        .context("PostgreSQL at 127.0.0.1:5432")?;
    admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
    let db_url = format!("postgres://postgres@127.0.0.1:5432/{name}");
    let result = (|| -> anyhow::Result<()> {
        let mut db = postgres::Client::connect(&db_url, postgres::NoTls)?;
        let dir = tempfile::tempdir()?;
        let (_server, endpoint) = start(&args.bin, dir.path(), &db_url)?;
        let c = client(&endpoint);
        let (rate, floor) = table_run(&c, &endpoint, &mut db, records)?;
        let ((p50, p99), (f50, f99)) = log_run(&c, entries)?;
        let report = json!({
            "table_records": records, "table_records_per_s": rate.round(), "floor_records_per_s": floor.round(),
            "table_vs_floor": rate / floor,
            "log_entries": entries, "log_lag_p50_ms": p50, "log_lag_p99_ms": p99,
            "floor_lag_p50_ms": f50, "floor_lag_p99_ms": f99,
            "log_p50_vs_ideal": p50 / 1500.0, "log_p99_vs_ideal": p99 / 2970.0,
        });
        println!("{report}");
        println!(
            "table → warm function: {rate:.0} records/s; sync InvokeFunction of the same batches: {floor:.0}/s ({:.2}x)",
            rate / floor
        );
        println!(
            "Log trigger lag at triggerInterval 3: p50 {p50:.0} ms, p99 {p99:.0} ms (ideal poller 1500 / 2970 ms: {:.2}x / {:.2}x); append-then-invoke floor p50 {f50:.1} ms, p99 {f99:.1} ms",
            p50 / 1500.0,
            p99 / 2970.0
        );
        if args.smoke {
            println!("(smoke run: no claims about numbers)");
        }
        Ok(())
    })();
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
    result
}
