//! `wasm-fc nodes`: the live nodes sharing the platform's store (see
//! `wasm_fc_api::invoke::nodes`), from any node.

use serde_json::Value;

use super::{ClientArgs, Format};

/// Prints the cluster view: a table for people, or the endpoint's JSON.
pub fn nodes(client: &ClientArgs, format: Format) -> anyhow::Result<()> {
    let view = client
        .client()?
        .call("GET", "/_wasm-fc/nodes", &[], b"")?
        .json();
    if format == Format::Json {
        super::print_json(&view);
        return Ok(());
    }
    let this = view["self"].as_str().unwrap_or_default();
    println!(
        "{:<38} {:<22} {:<9} {:>9} {:>6} {:>9} {:>6}  LAST HEARTBEAT",
        "NODE", "ADDRESS", "VERSION", "UPTIME", "LOAD", "IN-FLIGHT", "HELD"
    );
    for node in view["nodes"].as_array().into_iter().flatten() {
        let text = |key: &str| node[key].as_str().unwrap_or("-").to_string();
        let id = text("nodeId");
        let marker = if id == this { "*" } else { " " };
        println!(
            "{marker}{:<37} {:<22} {:<9} {:>9} {:>6} {:>9} {:>6}  {}",
            id,
            text("address"),
            text("version"),
            uptime(&node["uptimeSeconds"]),
            node["load1"]
                .as_f64()
                .map(|l| format!("{l:.2}"))
                .unwrap_or_else(|| "-".into()),
            node["inFlight"].as_u64().unwrap_or(0),
            node["asyncHeld"].as_u64().unwrap_or(0),
            text("lastHeartbeatTime"),
        );
    }
    Ok(())
}

/// Seconds as `1d2h`, `3h4m`, `5m6s` or `7s`.
fn uptime(seconds: &Value) -> String {
    let s = seconds.as_u64().unwrap_or(0);
    match s {
        s if s >= 86_400 => format!("{}d{}h", s / 86_400, s % 86_400 / 3600),
        s if s >= 3600 => format!("{}h{}m", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{}m{}s", s / 60, s % 60),
        s => format!("{s}s"),
    }
}
