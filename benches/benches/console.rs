//! What the web console costs the server, same run (issue 22):
//! - authorizing a console API call (session token check + CSRF compare)
//!   against verifying FC's own request signature (the baseline: what the
//!   same call costs from an SDK);
//! - the per-minute history behind the console's charts, recorded on every
//!   invocation, against the Prometheus series update each invocation
//!   already makes (the baseline).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench may panic on setup failures

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use wasm_fc_api::control::auth::{SignedRequest, verify_api};
use wasm_fc_api::control::console_sessions::ConsoleSessions;
use wasm_fc_api::control::credentials::Credentials;
use wasm_fc_api::control::nonces::NonceCache;
use wasm_fc_api::control::url_signing::UrlSigner;
use wasm_fc_api::invoke::metrics::history::{History, Sample};
use wasm_fc_api::invoke::metrics::prometheus::{PrometheusMetrics, Status};

fn keys() -> Credentials {
    Credentials {
        access_key_id: "WFCBENCHKEY".into(),
        access_key_secret: "bench-secret-0123456789abcdef".into(),
    }
}

/// The mean of `rounds` runs of `f`.
fn mean(rounds: u32, mut f: impl FnMut()) -> Duration {
    let started = Instant::now();
    for _ in 0..rounds {
        f();
    }
    started.elapsed() / rounds
}

fn print_ratios(title: &str, rows: &[(&str, Duration)]) {
    println!("\n{title}");
    let baseline = rows[0].1;
    for (name, took) in rows {
        println!(
            "{name:<34} {:>9.3} µs  {:>5.2}x",
            took.as_secs_f64() * 1e6,
            took.as_secs_f64() / baseline.as_secs_f64()
        );
    }
}

fn authorization(c: &mut Criterion) {
    let keys = keys();
    let now = SystemTime::now();
    let path = "/2016-08-15/services/demo";
    let headers = wasm_fc_api::client::signed_headers(&keys, "GET", path, &[], now);
    let fc = || {
        let request = SignedRequest {
            method: "GET",
            path,
            query: None,
            headers: headers.clone(),
        };
        let lookup = |id: &str| keys.secret_for(id);
        verify_api(&request, lookup, now, &NonceCache::default()).is_ok()
    };
    let (signer, sessions) = (UrlSigner::with_key([9; 32]), ConsoleSessions::default());
    let session = sessions
        .sign_in(
            &signer,
            &keys,
            &keys.access_key_id,
            &keys.access_key_secret,
            now,
        )
        .unwrap();
    let console = || {
        sessions
            .check(&signer, &keys, &session.token, now)
            .is_ok_and(|s| ConsoleSessions::csrf_matches(&s, &session.csrf_token))
    };
    assert!(fc() && console());
    let mut group = c.benchmark_group("console_authorization");
    group.bench_function("fc signature (baseline)", |b| b.iter(|| black_box(fc())));
    group.bench_function("console session + csrf", |b| {
        b.iter(|| black_box(console()))
    });
    group.finish();
    print_ratios(
        "authorizing one API call, mean of 20,000 (ratio = / FC's signature, same run)",
        &[
            (
                "fc signature (baseline)",
                mean(20_000, || {
                    black_box(fc());
                }),
            ),
            (
                "console session + csrf",
                mean(20_000, || {
                    black_box(console());
                }),
            ),
        ],
    );
}

fn accounting(c: &mut Criterion) {
    let prometheus = PrometheusMetrics::default();
    let series = prometheus.series("svc", "fn", "invoke");
    let history = History::default();
    let function = history.of(&Arc::from("svc"), &Arc::from("fn"));
    let duration = Duration::from_micros(180);
    let now_ms = wasm_fc_api::control::model::now_ms();
    let ran = Sample::Ran {
        duration,
        failed: false,
        cold_start: false,
    };
    let mut group = c.benchmark_group("invocation_accounting");
    group.bench_function("prometheus series (baseline)", |b| {
        b.iter(|| series.invocation(Status::Success, Some(black_box(duration)), false))
    });
    group.bench_function("minute history", |b| {
        b.iter(|| function.record(black_box(now_ms), ran))
    });
    group.finish();
    print_ratios(
        "accounting for one invocation, mean of 1,000,000 (ratio = / the Prometheus update, same run)",
        &[
            (
                "prometheus series (baseline)",
                mean(1_000_000, || {
                    series.invocation(Status::Success, Some(black_box(duration)), false)
                }),
            ),
            (
                "minute history",
                mean(1_000_000, || function.record(black_box(now_ms), ran)),
            ),
        ],
    );
}

criterion_group!(benches, authorization, accounting);
criterion_main!(benches);
