//! Timer scheduler: fire lag (p50/p99) and idle CPU with 10,000 schedules loaded,
//! each against a baseline measured in the same run.
//!
//! 1. Scheduler lag: 10,000 cron timers (`S * * * * *`, ~167 due each second)
//!    against a bare `tokio::time::sleep` loop on the same runtime (half a second
//!    out of phase), both measured from the scheduled instant to the wake-up.
//! 2. Idle CPU: 10,000 timers that do not fire during the window, against the
//!    same runtime with no timers; CPU is summed over all threads from
//!    `/proc/self/task/*/schedstat` (nanoseconds).
//! 3. End to end: a real in-process `wasm-fc` server (store, queue, workers)
//!    with 10,000 stored timers, first 1 and then 20 of which fire every second
//!    into event-hello; lag from the scheduled second to the start of the
//!    invocation, as `/_wasm-fc/stats` reports it. 20 fires in one second queue
//!    behind the 8 async workers, so that row includes waiting for a worker.
//!
//! `cargo bench -p wasm-fc-benches --bench timers` (10 s windows);
//! `-- --test` runs 2 s windows as a smoke test.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench may panic on setup failures

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use wasm_fc_api::invoke::metrics::percentile;
use wasm_fc_api::triggers::schedule::Schedule;
use wasm_fc_api::triggers::scheduler::{self, Fire, FireSink, Timer};

const SCHEDULES: usize = 10_000;

/// Records each fire's lag, for fires scheduled after `since` (the warm-up while
/// 10,000 timers are loaded is not measured).
struct Recorder {
    since: DateTime<Utc>,
    lags: Mutex<Vec<Duration>>,
}

impl Recorder {
    fn after(warm_up: Duration) -> Self {
        Self {
            since: Utc::now() + TimeDelta::from_std(warm_up).unwrap(),
            lags: Mutex::default(),
        }
    }
}

impl FireSink for Recorder {
    fn fire(&self, batch: Vec<Fire>) {
        let now = Utc::now();
        let mut lags = self.lags.lock().unwrap();
        lags.extend(
            batch
                .iter()
                .filter(|f| f.scheduled >= self.since)
                .map(|f| (now - f.scheduled).to_std().unwrap_or_default()),
        );
    }
}

fn timer(i: usize, schedule: Schedule) -> Timer {
    Timer {
        key: format!("svc/fn/t{i}"),
        service: "svc".into(),
        function: "fn".into(),
        trigger: format!("t{i}"),
        qualifier: "LATEST".into(),
        payload: String::new(),
        schedule,
        revision: String::new(),
    }
}

fn summary(name: &str, mut lags: Vec<Duration>) -> (Duration, Duration) {
    lags.sort_unstable();
    let (p50, p99) = (percentile(&lags, 0.5), percentile(&lags, 0.99));
    println!(
        "{name:<34} n={:<6} p50={:>9.3} ms  p99={:>9.3} ms  max={:>9.3} ms",
        lags.len(),
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        lags.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    (p50, p99)
}

/// CPU time of the whole process so far (all threads).
fn process_cpu() -> Duration {
    let mut total = 0u64;
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        if let Ok(text) = std::fs::read_to_string(task.path().join("schedstat")) {
            total += text
                .split_whitespace()
                .next()
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Duration::from_nanos(total)
}

async fn cpu_share_over(window: Duration) -> f64 {
    let before = process_cpu();
    tokio::time::sleep(window).await;
    (process_cpu() - before).as_secs_f64() / window.as_secs_f64()
}

fn start_scheduler(
    sink: Arc<dyn FireSink>,
) -> (scheduler::SchedulerHandle, tokio::sync::watch::Sender<bool>) {
    let (handle, scheduler) = scheduler::channel();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(scheduler.run(sink, stopped));
    (handle, stop)
}

async fn lag(window: Duration) {
    let recorder = Arc::new(Recorder::after(Duration::from_secs(2)));
    let (handle, stop) = start_scheduler(recorder.clone());
    let anchor = Utc::now();
    for i in 0..SCHEDULES {
        let expression = format!("{} * * * * *", i % 60);
        handle.upsert(timer(i, Schedule::parse(&expression, anchor).unwrap()));
    }
    // The baseline: a bare tokio timer at every half second, on the same runtime.
    let baseline = tokio::spawn(async move {
        let mut lags = Vec::new();
        let end = Utc::now() + TimeDelta::from_std(window + Duration::from_secs(2)).unwrap();
        loop {
            let now = Utc::now();
            let next = DateTime::from_timestamp(now.timestamp() + 1, 500_000_000).unwrap();
            if next > end {
                break lags;
            }
            tokio::time::sleep((next - now).to_std().unwrap()).await;
            lags.push((Utc::now() - next).to_std().unwrap_or_default());
        }
    });
    let baseline_lags = baseline.await.unwrap();
    let _ = stop.send(true);
    let lags = std::mem::take(&mut *recorder.lags.lock().unwrap());
    println!("-- lag with {SCHEDULES} schedules loaded ({window:?})");
    let (_, base_p99) = summary("baseline: bare tokio sleep", baseline_lags);
    let (_, p99) = summary("scheduler → sink", lags);
    println!(
        "scheduler p99 / baseline p99 = {:.2}x",
        p99.as_secs_f64() / base_p99.as_secs_f64().max(1e-9)
    );
}

async fn idle(window: Duration) {
    println!("-- idle CPU ({window:?} windows)");
    let baseline = cpu_share_over(window).await;
    let (handle, stop) = start_scheduler(Arc::new(Recorder::after(Duration::ZERO)));
    let anchor = Utc::now();
    let far = Utc::now() + TimeDelta::days(180);
    for i in 0..SCHEDULES {
        let schedule = if i % 2 == 0 {
            Schedule::parse("@every 24h", anchor).unwrap()
        } else {
            let cron = format!(
                "{} {} {} {} {} ?",
                i % 60,
                (i / 60) % 60,
                (i / 3600) % 24,
                far.format("%-d"),
                far.format("%-m")
            );
            Schedule::parse(&cron, anchor).unwrap()
        };
        handle.upsert(timer(i, schedule));
    }
    tokio::time::sleep(Duration::from_millis(200)).await; // let the loads settle
    let loaded = cpu_share_over(window).await;
    let _ = stop.send(true);
    println!(
        "baseline (runtime, no timers)      {:.4}% of a core",
        baseline * 100.0
    );
    println!(
        "{SCHEDULES} idle schedules               {:.4}% of a core (+{:.4} points)",
        loaded * 100.0,
        (loaded - baseline) * 100.0
    );
}

/// A tiny signed HTTP/1.1 client for the in-process server.
fn request(addr: &str, secret: &str, key: &str, method: &str, path: &str, body: &str) -> String {
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let headers = vec![
        ("date".to_string(), date.clone()),
        ("content-type".to_string(), "application/json".to_string()),
    ];
    let signed = wasm_fc_api::control::auth::SignedRequest {
        method,
        path,
        query: None,
        headers,
    };
    let sts = wasm_fc_api::control::auth::string_to_sign(
        &signed,
        &date,
        &wasm_fc_api::control::auth::canonical_resource(&signed),
    );
    let signature = wasm_fc_api::control::auth::sign(secret, &sts);
    let mut socket = std::net::TcpStream::connect(addr).unwrap();
    write!(
        socket,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nDate: {date}\r\nContent-Type: application/json\r\nAuthorization: FC {key}:{signature}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    socket.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "{method} {path}: {response}"
    );
    response
}

fn event_hello_zip() -> String {
    wasm_fc_benches::zip_base64(&wasm_fc_test_guests::bytes(
        wasm_fc_test_guests::EVENT_HELLO,
    ))
}

async fn end_to_end(window: Duration) {
    use wasm_fc_api::app::{ServerConfig, bind};
    use wasm_fc_api::control::credentials::Credentials;
    let dir = tempfile::tempdir().unwrap();
    let credentials = Credentials {
        access_key_id: "bench".into(),
        access_key_secret: "bench-secret".into(),
    };
    let bound = bind(ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        identity: wasm_fc_api::control::plane::Identity {
            account_id: "1".into(),
            region: "local".into(),
            public_endpoint: None,
        },
        credentials: Some(credentials),
        runtimes_dir: None,
        max_instance_reuse: wasm_fc_api::app::DEFAULT_MAX_INSTANCE_REUSE,
        store: None,
        advertise_address: None,
        oss_listen: None,
        oss_max_object_size: wasm_fc_api::app::DEFAULT_OSS_MAX_OBJECT_SIZE,
        brokers: Default::default(),
        table_instances: Default::default(),
    })
    .await
    .unwrap();
    // 10,000 stored timers that will not fire in the window (as rows, like after a restart).
    let far = Utc::now() + TimeDelta::days(180);
    let store = bound.platform.store.clone();
    for i in 0..SCHEDULES {
        let row = serde_json::json!({
            "triggerName": format!("idle{i}"), "triggerType": "timer", "_service": "bench",
            "_function": "idle", "lastModifiedTime": wasm_fc_api::control::model::now_timestamp(),
            "triggerConfig": { "cronExpression": format!("{} {} {} {} {} ?", i % 60, (i / 60) % 60, (i / 3600) % 24, far.format("%-d"), far.format("%-m")), "enable": true },
        });
        store
            .upsert(
                wasm_fc_api::control::store::Kind::Trigger,
                "bench/idle",
                &format!("idle{i}"),
                &row,
            )
            .await
            .unwrap();
    }
    let addr = bound.addr.to_string();
    let platform = bound.platform.clone();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(bound.serve(async {
        let _ = stop_rx.await;
    }));
    let zip = event_hello_zip();
    let create = |first: usize, count: usize| {
        let addr = addr.clone();
        let zip = zip.clone();
        move || {
            let (key, secret) = ("bench", "bench-secret");
            if first == 0 {
                request(
                    &addr,
                    secret,
                    key,
                    "POST",
                    "/2016-08-15/services",
                    r#"{"serviceName":"bench"}"#,
                );
                let function = serde_json::json!({ "functionName": "hello", "runtime": "custom", "handler": "index.handler", "code": { "zipFile": zip } });
                request(
                    &addr,
                    secret,
                    key,
                    "POST",
                    "/2016-08-15/services/bench/functions",
                    &function.to_string(),
                );
            }
            for i in first..first + count {
                let trigger = serde_json::json!({ "triggerName": format!("tick{i}"), "triggerType": "timer", "triggerConfig": { "cronExpression": "* * * * * *", "enable": true, "payload": "bench" } });
                request(
                    &addr,
                    secret,
                    key,
                    "POST",
                    "/2016-08-15/services/bench/functions/hello/triggers",
                    &trigger.to_string(),
                );
            }
        }
    };
    println!(
        "-- end to end through the durable queue, {SCHEDULES} stored timers ({window:?} each)"
    );
    for (first, count, label) in [
        (0, 1, "1 fire a second"),
        (1, 19, "20 fires in the same second"),
    ] {
        tokio::task::spawn_blocking(create(first, count))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await; // warm-up: first instance
        platform.metrics.timers.reset_lags();
        tokio::time::sleep(window).await;
        let stats = platform.metrics.timers.snapshot();
        println!(
            "{label:<28} n={:<5} p50={:>9.3} ms  p99={:>9.3} ms  max={:>9.3} ms",
            stats.lag_samples,
            stats.lag_p50.as_secs_f64() * 1e3,
            stats.lag_p99.as_secs_f64() * 1e3,
            stats.lag_max.as_secs_f64() * 1e3,
        );
    }
    let _ = stop_tx.send(());
    let _ = server.await;
}

fn main() {
    let smoke = std::env::args().any(|a| a == "--test");
    let window = Duration::from_secs(if smoke { 2 } else { 10 });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        lag(window).await;
        idle(window).await;
        end_to_end(window).await;
    });
}
