//! What verifying each signature scheme costs the server, same run (issue 21):
//! FC's own `FC AK:sig` (the baseline: the FC 2.0 SDKs), `ACS3-HMAC-SHA256` and
//! the ROA `acs AK:sig` of the Alibaba Cloud OpenAPI SDKs. The ACS3 and ROA
//! requests are the vectors the Python SDK's own signer produced
//! (`api/tests/fixtures/acs3_vectors.json`); the FC request is signed by the
//! platform's client as the FC SDKs sign. Each verification includes the nonce
//! check (a fresh cache per call, so a vector is never a replay).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench may panic on setup failures

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use wasm_fc_api::control::auth::{SignedRequest, verify_api};
use wasm_fc_api::control::credentials::Credentials;
use wasm_fc_api::control::nonces::NonceCache;

const VECTORS: &str = include_str!("../../api/tests/fixtures/acs3_vectors.json");

/// An owned request: method, path, query, headers, the key pair, and when to verify it.
struct Owned {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    key: String,
    secret: String,
    now: SystemTime,
}

impl Owned {
    fn verify(&self) -> bool {
        let req = SignedRequest {
            method: &self.method,
            path: &self.path,
            query: (!self.query.is_empty()).then_some(self.query.as_str()),
            headers: self.headers.clone(),
        };
        let lookup = |id: &str| (id == self.key).then(|| self.secret.clone());
        verify_api(&req, lookup, self.now, &NonceCache::default()).is_ok()
    }
}

fn vector(name: &str) -> Owned {
    let all: serde_json::Value = serde_json::from_str(VECTORS).unwrap();
    let v = all
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap();
    let text = |k: &str| v[k].as_str().unwrap().to_string();
    let now = chrono::DateTime::parse_from_rfc3339(&text("now")).unwrap();
    Owned {
        method: text("method"),
        path: text("path"),
        query: text("query"),
        headers: v["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h[0].as_str().unwrap().to_string(),
                    h[1].as_str().unwrap().to_string(),
                )
            })
            .collect(),
        key: text("keyId"),
        secret: text("secret"),
        now: SystemTime::UNIX_EPOCH + Duration::from_secs(now.timestamp().unsigned_abs()),
    }
}

/// GetService as the FC 2.0 SDKs sign it.
fn fc_request() -> Owned {
    let credentials = Credentials {
        access_key_id: "LTAI5tVectorKeyId".into(),
        access_key_secret: "VectorSecret0123456789abcdefABCD".into(),
    };
    let now = SystemTime::now();
    let path = "/2016-08-15/services/demo";
    let headers = wasm_fc_api::client::signed_headers(&credentials, "GET", path, &[], now);
    Owned {
        method: "GET".into(),
        path: path.into(),
        query: String::new(),
        headers,
        key: credentials.access_key_id,
        secret: credentials.access_key_secret,
        now,
    }
}

fn signatures(c: &mut Criterion) {
    let cases = [
        ("fc (baseline)", fc_request()),
        ("acs3 GetService", vector("acs3-2021-get-service")),
        ("acs3 POST JSON", vector("acs3-post-json-body")),
        ("acs-v2 GetService", vector("acs-v2-get-service")),
    ];
    let mut group = c.benchmark_group("signatures");
    for (name, request) in &cases {
        assert!(request.verify(), "{name} verifies");
        group.bench_function(*name, |b| b.iter(|| black_box(request.verify())));
    }
    group.finish();
    // The summary: the mean of a fixed loop each, against FC's scheme in this run.
    let mean = |request: &Owned| {
        let rounds = 20_000u32;
        let started = Instant::now();
        for _ in 0..rounds {
            black_box(request.verify());
        }
        started.elapsed() / rounds
    };
    let means: Vec<Duration> = cases.iter().map(|(_, request)| mean(request)).collect();
    let baseline = means[0];
    println!("\nsignature verification, mean of 20,000 (ratio = scheme / FC's own, same run)");
    for ((name, _), took) in cases.iter().zip(means) {
        println!(
            "{name:<20} {:>9.2} µs  {:>5.2}x",
            took.as_secs_f64() * 1e6,
            took.as_secs_f64() / baseline.as_secs_f64()
        );
    }
}

criterion_group!(benches, signatures);
criterion_main!(benches);
