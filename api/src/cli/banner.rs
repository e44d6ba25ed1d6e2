//! What `wasm-fc run` prints once it serves: where the API is, how to point an SDK
//! at it, and every function's invoke URL, HTTP trigger URL and timer schedule.

use serde_json::{Value, json};
use wasm_fc_api::client::{API_PREFIX, Client};

use super::{Format, resources::inventory};

/// What the platform is, besides what the API lists.
#[derive(Debug, Clone)]
pub struct About {
    pub data_dir: String,
    pub region: String,
    pub account_id: String,
    /// The embedded object store's URL, when it is on.
    pub oss_endpoint: Option<String>,
    /// The bearer token of `POST /_wasm-fc/oss/notifications`.
    pub notification_token: String,
}

/// The banner as JSON (what `--format json` prints, one line).
pub fn collect(client: &Client, about: &About) -> anyhow::Result<Value> {
    let endpoint = client.endpoint();
    let now = chrono::Utc::now();
    let (mut functions, mut http, mut timers) = (Vec::new(), Vec::new(), Vec::new());
    let mut sources = Vec::new();
    for service in inventory(client)? {
        let s = service["serviceName"].as_str().unwrap_or_default();
        for function in service["functions"].as_array().into_iter().flatten() {
            let f = function["functionName"].as_str().unwrap_or_default();
            functions.push(json!({
                "service": s, "function": f,
                "invokeUrl": format!("{endpoint}{API_PREFIX}/services/{s}/functions/{f}/invocations"),
            }));
            for trigger in function["triggers"].as_array().into_iter().flatten() {
                let t = trigger["triggerName"].as_str().unwrap_or_default();
                let config = &trigger["triggerConfig"];
                let qualifier = trigger["qualifier"]
                    .as_str()
                    .filter(|q| !q.is_empty() && *q != "LATEST");
                let service_part = qualifier.map_or(s.to_string(), |q| format!("{s}.{q}"));
                match trigger["triggerType"].as_str() {
                    Some("http") => http.push(json!({
                        "service": s, "function": f, "trigger": t,
                        "url": format!("{endpoint}{API_PREFIX}/proxy/{service_part}/{f}/"),
                        "methods": config["methods"], "authType": config["authType"],
                    })),
                    Some("timer") => timers.push(json!({
                        "service": s, "function": f, "trigger": t,
                        "expression": config["cronExpression"],
                        "enable": config["enable"] != false,
                        "nextFireUtc": wasm_fc_api::triggers::timer::next_fire(trigger, now)
                            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
                    })),
                    Some(kind) => {
                        if let Some(listens_to) = super::resources::listens_to(trigger) {
                            sources.push(json!({
                                "service": s, "function": f, "trigger": t, "type": kind,
                                "listensTo": listens_to,
                                "enable": config["enable"] != false
                                    && config["triggerEnable"] != false,
                            }));
                        }
                    }
                    None => {}
                }
            }
        }
    }
    Ok(json!({
        "endpoint": endpoint, "accessKeyId": client.access_key_id(), "dataDir": about.data_dir,
        "region": about.region, "accountId": about.account_id,
        "metricsUrl": format!("{endpoint}/metrics"),
        "consoleUrl": format!("{endpoint}/console/"),
        "functions": functions, "httpTriggers": http, "timers": timers,
        "eventTriggers": sources,
        "ossEndpoint": about.oss_endpoint,
        "ossNotifications": {
            "url": format!("{endpoint}/_wasm-fc/oss/notifications"),
            "bearerToken": about.notification_token,
        },
        "alertmanagerWebhook": {
            "url": format!("{endpoint}/_wasm-fc/alerts/alertmanager"),
            "bearerToken": about.notification_token,
        },
    }))
}

/// Prints the banner.
pub fn print(banner: &Value, format: Format) {
    if format == Format::Json {
        println!("{banner}");
        return;
    }
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let endpoint = text(&banner["endpoint"]);
    println!();
    println!(
        "wasm-fc {} serving FC 2.0 at {endpoint}",
        env!("CARGO_PKG_VERSION")
    );
    println!(
        "  region {}  account {}  data {}",
        text(&banner["region"]),
        text(&banner["accountId"]),
        text(&banner["dataDir"])
    );
    println!();
    println!(
        "Point an FC SDK at it (access key id {}, secret in {}/credentials.json):",
        text(&banner["accessKeyId"]),
        text(&banner["dataDir"])
    );
    println!(
        "  Python: fc2.Client(endpoint='{endpoint}', accessKeyID='{}', accessKeySecret='...')",
        text(&banner["accessKeyId"])
    );
    println!("  CLI:    wasm-fc invoke <service>/<function> -e '{{}}'");
    if let Some(oss) = banner["ossEndpoint"].as_str() {
        println!();
        println!("wasm-fc serving OSS (S3) at {oss}");
        println!(
            "  aws --endpoint-url {oss} s3 ls   (the same access key pair; path-style, SigV4)"
        );
    }
    println!(
        "  MinIO/Ceph bucket notifications: POST {} with Authorization: Bearer <ossNotifications.bearerToken in --format json>",
        text(&banner["ossNotifications"]["url"])
    );
    println!(
        "  Alertmanager webhook (CloudMonitor events): POST {} with the same bearer token",
        text(&banner["alertmanagerWebhook"]["url"])
    );
    let section = |title: &str, key: &str, line: &dyn Fn(&Value) -> String| {
        let items = banner[key].as_array().cloned().unwrap_or_default();
        if !items.is_empty() {
            println!();
            println!("{title}:");
            for item in &items {
                println!("  {}", line(item));
            }
        }
    };
    section("Functions (InvokeFunction)", "functions", &|f| {
        format!(
            "{}/{:<24} POST {}",
            text(&f["service"]),
            text(&f["function"]),
            text(&f["invokeUrl"])
        )
    });
    section("HTTP triggers", "httpTriggers", &|t| {
        let methods: Vec<String> = t["methods"]
            .as_array()
            .into_iter()
            .flatten()
            .map(text)
            .collect();
        format!(
            "{}/{}/{:<12} {} [{}] auth={}",
            text(&t["service"]),
            text(&t["function"]),
            text(&t["trigger"]),
            text(&t["url"]),
            methods.join(","),
            text(&t["authType"])
        )
    });
    section("Event triggers", "eventTriggers", &|t| {
        format!(
            "{}/{}/{:<12} {}{}",
            text(&t["service"]),
            text(&t["function"]),
            text(&t["trigger"]),
            text(&t["listensTo"]),
            if t["enable"] == false {
                " (disabled)"
            } else {
                ""
            }
        )
    });
    section("Timers", "timers", &|t| {
        let next = match t["nextFireUtc"].as_str() {
            Some(next) => format!("next {next}"),
            None if t["enable"] == false => "disabled".into(),
            None => "never fires again".into(),
        };
        format!(
            "{}/{}/{:<12} {:<20} {next}",
            text(&t["service"]),
            text(&t["function"]),
            text(&t["trigger"]),
            text(&t["expression"])
        )
    });
    println!();
    println!(
        "Console {} (sign in with the key pair above)",
        text(&banner["consoleUrl"])
    );
    println!(
        "Metrics {}   Health {endpoint}/healthz {endpoint}/readyz",
        text(&banner["metricsUrl"])
    );
    println!();
}
