//! Function logs from the other nodes sharing the store: each node keeps the
//! logs of what it ran (in its data dir); the node a client asks forwards the
//! same signed request to every other live node (the caller's own signature:
//! FC's signature covers the method, path, query and `x-fc-*` headers, none of
//! which change) with [`SCOPE_HEADER`]` : node`, and merges the answers.
//!
//! A peer that does not answer within [`PEER_TIMEOUT`] is logged and left out:
//! the read answers with what the others had rather than fail.

use std::time::Duration;

use axum::http::{HeaderMap, Uri};

use crate::control::error::{ApiError, ApiResult};
use crate::invoke::function_logs::{LogRecord, MAX_READ_RECORDS};
use crate::triggers::platform::Platform;

/// Set on a forwarded read: answer with this node's records only.
pub const SCOPE_HEADER: &str = "x-wasm-fc-log-scope";
/// How long a peer has to answer: 3 s.
const PEER_TIMEOUT: Duration = Duration::from_secs(3);

/// Whether this read was forwarded by another node (answer locally).
pub fn asked_by_a_peer(headers: &HeaderMap) -> bool {
    headers
        .get(SCOPE_HEADER)
        .is_some_and(|v| v.as_bytes() == b"node")
}

/// The records the other live nodes hold for the same read.
pub async fn gather(p: &Platform, uri: &Uri, headers: &HeaderMap) -> ApiResult<Vec<LogRecord>> {
    let view = crate::invoke::nodes::cluster_view(p).await?;
    let this = p.node_id.to_string();
    let here = p.advertise_address.get().map(String::as_str);
    // Not this node, nor a dead earlier run of it at the same address (its
    // row lives on for up to 10 s after a crash): that would be asking itself.
    let peers: Vec<String> = view["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|node| node["nodeId"].as_str() != Some(this.as_str()))
        .filter_map(|node| node["address"].as_str().map(str::to_string))
        .filter(|address| Some(address.as_str()) != here)
        .collect();
    let path = uri
        .path_and_query()
        .map(|pq| pq.as_str().to_string())
        .unwrap_or_else(|| uri.path().to_string());
    let forwarded: Vec<(String, String)> = headers
        .iter()
        .filter(|(name, _)| {
            let name = name.as_str();
            name == "authorization"
                || name == "date"
                || name == "content-type"
                || name == "content-md5"
                || name.starts_with("x-fc-")
        })
        .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_string())))
        .collect();
    // All peers at once: each ask runs on the blocking pool from here on.
    let asks: Vec<_> = peers
        .into_iter()
        .map(|address| {
            let (path, forwarded) = (path.clone(), forwarded.clone());
            tokio::task::spawn_blocking(move || ask(&address, &path, &forwarded))
        })
        .collect();
    let mut records = Vec::new();
    for ask in asks {
        match ask
            .await
            .map_err(|e| ApiError::internal("asking a peer for logs", e))?
        {
            Ok(mut theirs) => records.append(&mut theirs),
            Err(why) => tracing::warn!("{why}; its logs are left out of this read"),
        }
    }
    Ok(records)
}

/// One peer's records (blocking HTTP, on the blocking pool).
fn ask(address: &str, path: &str, headers: &[(String, String)]) -> Result<Vec<LogRecord>, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(PEER_TIMEOUT))
        .http_status_as_error(false)
        .build()
        .into();
    let mut request = agent.get(format!("http://{address}{path}"));
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let mut response = request
        .header(SCOPE_HEADER, "node")
        .call()
        .map_err(|e| format!("node {address} did not answer a log read: {e}"))?;
    let status = response.status();
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(|e| format!("node {address}'s log read broke off: {e}"))?;
    if !status.is_success() {
        return Err(format!(
            "node {address} answered a log read with {status}: {body}"
        ));
    }
    #[derive(serde::Deserialize)]
    struct Answer {
        records: Vec<LogRecord>,
    }
    serde_json::from_str::<Answer>(&body)
        .map(|a| a.records)
        .map_err(|e| format!("node {address} answered a log read with something else: {e}"))
}

/// This node's and the peers' records, oldest first, the newest `limit`
/// (default and cap [`MAX_READ_RECORDS`]) kept.
pub fn merge(
    mut mine: Vec<LogRecord>,
    mut theirs: Vec<LogRecord>,
    limit: Option<usize>,
) -> Vec<LogRecord> {
    mine.append(&mut theirs);
    mine.sort_by(|a, b| {
        a.time_ms
            .cmp(&b.time_ms)
            .then_with(|| a.request_id.cmp(&b.request_id))
    });
    let keep = limit.unwrap_or(MAX_READ_RECORDS).min(MAX_READ_RECORDS);
    let skip = mine.len().saturating_sub(keep);
    mine.split_off(skip)
}
