//! Issue 19: FC's CloudMonitor events from real alarms. A real Alertmanager
//! (Debian's `prometheus-alertmanager`) posts its webhook to a real `wasm-fc
//! run`, whose `eventbridge` triggers (`eventSourceType: Default`) run the
//! functions their patterns match; and a real Prometheus rule on wasm-fc's
//! own `/metrics` (the checked-in `examples/alerting`) closes the loop.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{P, call, create_trigger, function_body, ok};
use serde_json::{Value, json};
use wasm_fc_test_guests::OSS_HANDLER;

/// The notification token of the test servers' key pair.
fn notification_token() -> String {
    wasm_fc_api::control::credentials::Credentials {
        access_key_id: common::KEY_ID.into(),
        access_key_secret: common::SECRET.into(),
    }
    .notification_token()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A real Alertmanager or Prometheus on a free loopback port, with its
/// config and data in a temp dir; killed on drop.
struct Daemon {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `program` with `args(dir, port)` and waits for its `/-/ready`.
fn daemon(program: &str, dir: tempfile::TempDir, args: &[String]) -> Daemon {
    let port = free_port();
    let child = Command::new(program)
        .args(args)
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    common::eventually(&format!("{program} to be ready"), || {
        ureq::get(&format!("{url}/-/ready")).call().is_ok()
    });
    Daemon {
        child,
        url,
        _dir: dir,
    }
}

/// Debian's Alertmanager, or `None` after the skip line.
fn alertmanager_binary(test: &str) -> Option<&'static str> {
    let found = ["/usr/bin/prometheus-alertmanager", "/usr/bin/alertmanager"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    if found.is_none() {
        common::skip(
            test,
            "no Alertmanager (apt install prometheus-alertmanager)",
        );
    }
    found
}

/// Whether Debian's Prometheus is installed (else the skip line).
fn prometheus_present(test: &str) -> bool {
    let present = Command::new("prometheus").arg("--version").output().is_ok();
    if !present {
        common::skip(test, "no Prometheus (apt install prometheus)");
    }
    present
}

/// Alertmanager routing every alert to `webhook` at once (group_wait 0 s).
fn alertmanager(binary: &str, webhook: &str) -> Daemon {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("alertmanager.yml");
    std::fs::write(
        &config,
        format!(
            "route:\n  receiver: wasm-fc\n  group_by: [alertname]\n  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: 4h\n\
             receivers:\n  - name: wasm-fc\n    webhook_configs:\n      - url: {webhook}\n        send_resolved: true\n        http_config:\n          authorization:\n            type: Bearer\n            credentials: {}\n",
            notification_token()
        ),
    )
    .unwrap();
    let args = [
        format!("--config.file={}", config.display()),
        format!("--storage.path={}", dir.path().join("data").display()),
        "--cluster.listen-address=".to_string(),
    ];
    daemon(binary, dir, &args)
}

/// Posts alerts through Alertmanager's own API (v2).
fn post_alerts(am: &Daemon, alerts: Value) {
    let reply = ureq::post(&format!("{}/api/v2/alerts", am.url))
        .header("content-type", "application/json")
        .send(alerts.to_string())
        .unwrap();
    assert_eq!(reply.status().as_u16(), 200);
}

/// Prometheus with the checked-in `examples/alerting` files (intervals cut
/// to 1 s), scraping `target` and alerting to `alertmanager`.
fn prometheus(target: &str, alertmanager: &str) -> Daemon {
    let dir = tempfile::tempdir().unwrap();
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/alerting");
    let config = std::fs::read_to_string(examples.join("prometheus.yml"))
        .unwrap()
        .replace("15s", "1s")
        .replace("127.0.0.1:9000", target)
        .replace("127.0.0.1:9093", alertmanager);
    std::fs::write(dir.path().join("prometheus.yml"), config).unwrap();
    std::fs::copy(examples.join("rules.yml"), dir.path().join("rules.yml")).unwrap();
    let args = [
        format!(
            "--config.file={}",
            dir.path().join("prometheus.yml").display()
        ),
        format!("--storage.tsdb.path={}", dir.path().join("data").display()),
    ];
    daemon("prometheus", dir, &args)
}

/// Whether Prometheus's instant query `q` has a result.
fn has_result(prometheus: &Daemon, q: &str) -> bool {
    let body = ureq::get(&format!("{}/api/v1/query", prometheus.url))
        .query("query", q)
        .call()
        .and_then(|r| r.into_body().read_to_string());
    body.ok()
        .and_then(|b| serde_json::from_str::<Value>(&b).ok())
        .is_some_and(|v| {
            v["data"]["result"]
                .as_array()
                .is_some_and(|r| !r.is_empty())
        })
}

fn bus_trigger(name: &str, pattern: Value) -> Value {
    json!({
        "triggerName": name,
        "triggerType": "eventbridge",
        "triggerConfig": {
            "triggerEnable": true,
            "asyncInvocationType": true,
            "eventRuleFilterPattern": pattern.to_string(),
            "eventSourceConfig": {"eventSourceType": "Default"},
            "runOptions": {"mode": "event-driven"},
        }
    })
}

#[test]
fn alertmanager_alerts_run_the_matching_bus_triggers_as_cloudmonitor_events() {
    let Some(binary) = alertmanager_binary("alertmanager_alerts_run") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let s = common::start(dir.path());
    common::deploy_logger(&s, "alarms", json!({}));
    ok(call(
        &s,
        "POST",
        &format!("{P}/services/alarms/functions"),
        &[],
        &function_body("quiet", OSS_HANDLER, json!({})),
    ));
    ok(create_trigger(
        &s,
        "alarms",
        "f",
        bus_trigger(
            "errors",
            json!({"source": ["acs.cms"], "type": [{"prefix": "cms:CloudMonitor:"}],
                   "data": {"name": ["HighErrorRate"], "level": ["CRITICAL", "WARN"]}}),
        ),
    ));
    ok(create_trigger(
        &s,
        "alarms",
        "quiet",
        bus_trigger("info-only", json!({"data": {"level": ["INFO"]}})),
    ));
    let am = alertmanager(
        binary,
        &format!("{}/_wasm-fc/alerts/alertmanager", s.endpoint),
    );
    let starts = chrono::Utc::now() - chrono::Duration::seconds(5);
    let alert = |ends: Option<chrono::DateTime<chrono::Utc>>| {
        let mut a = json!({
            "labels": {"alertname": "HighErrorRate", "severity": "critical", "instance": "alarms/f", "product": "FunctionCompute"},
            "annotations": {"summary": "errors above 5% for 1m"},
            "startsAt": starts.to_rfc3339(),
        });
        if let Some(ends) = ends {
            a["endsAt"] = json!(ends.to_rfc3339());
        }
        json!([a])
    };
    post_alerts(&am, alert(None));
    common::eventually("the firing alert", || {
        !common::logged_events(&s, "alarms", "f").is_empty()
    });
    let firing = common::logged_events(&s, "alarms", "f")[0].clone();
    assert_eq!(firing["type"], "cms:CloudMonitor:AlertWebHook");
    assert_eq!(firing["source"], "acs.cms");
    assert_eq!(firing["aliyuneventbusname"], "default");
    let data = &firing["data"];
    assert_eq!(data["status"], "firing");
    assert_eq!(data["level"], "CRITICAL");
    assert_eq!(data["name"], "HighErrorRate");
    assert_eq!(data["product"], "FunctionCompute");
    assert_eq!(data["instanceName"], "alarms/f");
    assert_eq!(data["content"]["summary"], "errors above 5% for 1m");
    assert!(
        data["resourceId"]
            .as_str()
            .unwrap()
            .ends_with(":instance/alarms/f")
    );
    assert!(data["regionId"].is_string());
    // Resolved: a second notification, with status resolved.
    post_alerts(
        &am,
        alert(Some(chrono::Utc::now() - chrono::Duration::seconds(1))),
    );
    common::eventually("the resolved alert", || {
        common::logged_events(&s, "alarms", "f").len() >= 2
    });
    std::thread::sleep(Duration::from_secs(3));
    let got = common::logged_events(&s, "alarms", "f");
    assert_eq!(got.len(), 2, "one invocation per notification: {got:#?}");
    assert_eq!(got[1]["data"]["status"], "resolved");
    // The trigger whose pattern does not match got nothing.
    assert!(common::logged_events(&s, "alarms", "quiet").is_empty());
}

#[test]
fn the_alertmanager_webhook_refuses_bad_tokens_and_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::start(dir.path());
    let post = |auth: &str, body: &[u8]| {
        common::raw(
            &s,
            "POST",
            "/_wasm-fc/alerts/alertmanager",
            &[("authorization".to_string(), auth.to_string())],
            body,
        )
    };
    let reply = post("Bearer wrong", b"{\"alerts\": []}");
    assert_eq!(reply.status, 403, "{}", reply.text());
    assert!(reply.json()["ErrorCode"].is_string());
    let token = format!("Bearer {}", notification_token());
    let reply = post(&token, b"not json");
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(reply.json()["ErrorCode"], "InvalidArgument");
    let reply = post(&token, br#"{"alerts": [{"status": "maybe"}]}"#);
    assert_eq!(reply.status, 400, "{}", reply.text());
    let reply = post(
        &token,
        br#"{"version": "4", "status": "firing", "alerts": []}"#,
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["delivered"], 0);
}

#[test]
fn a_prometheus_rule_on_wasm_fcs_metrics_runs_a_function_through_alertmanager() {
    let Some(binary) = alertmanager_binary("a_prometheus_rule") else {
        return;
    };
    if !prometheus_present("a_prometheus_rule") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let s = common::start(dir.path());
    // The seed's "when a function's errors are too high, run a function".
    common::deploy_logger(&s, "shop", json!({"OSS_FAIL": "1"}));
    ok(call(
        &s,
        "POST",
        &format!("{P}/services/shop/functions"),
        &[],
        &function_body("on-alarm", OSS_HANDLER, json!({})),
    ));
    ok(create_trigger(
        &s,
        "shop",
        "on-alarm",
        bus_trigger(
            "function-errors",
            json!({"source": ["acs.cms"], "data": {"name": ["FunctionErrors"], "status": ["firing"]}}),
        ),
    ));
    let fail = || {
        call(
            &s,
            "POST",
            &format!("{P}/services/shop/functions/f/invocations"),
            &[],
            b"{}",
        );
    };
    fail();
    let am = alertmanager(
        binary,
        &format!("{}/_wasm-fc/alerts/alertmanager", s.endpoint),
    );
    let target = s.endpoint.trim_start_matches("http://").to_string();
    let prometheus = prometheus(&target, am.url.trim_start_matches("http://"));
    common::eventually("Prometheus to scrape wasm-fc", || {
        has_result(&prometheus, "wasm_fc_invocations_total{function=\"f\"}")
    });
    std::thread::sleep(Duration::from_secs(2));
    fail();
    common::eventually("the alarm function to run", || {
        !common::logged_events(&s, "shop", "on-alarm").is_empty()
    });
    let event = &common::logged_events(&s, "shop", "on-alarm")[0];
    assert_eq!(event["type"], "cms:CloudMonitor:AlertWebHook");
    assert_eq!(event["data"]["name"], "FunctionErrors");
    assert_eq!(event["data"]["level"], "CRITICAL");
    assert_eq!(event["data"]["product"], "FunctionCompute");
    assert_eq!(event["data"]["content"]["labels"]["function"], "f");
    assert_eq!(
        event["data"]["content"]["summary"],
        "shop/f failed in the last minute"
    );
}
