//! The logstore routes (a wasm-fc extension; docs/logstores.md), signed like
//! every API call with the platform's keys:
//!
//! - `POST /_wasm-fc/log/projects/{p}/logstores` creates one
//!   (`{logstoreName, shardCount?, ttl?, maxBytesPerShard?}`); `GET` lists;
//! - `GET`/`DELETE /_wasm-fc/log/projects/{p}/logstores/{l}`: its settings
//!   and each shard's `beginCursor`/`endCursor`, or delete it;
//! - `POST …/{l}/entries` appends (`{"logs": [...], "shard"?}`), `GET
//!   …/{l}/entries` reads a shard's cursor range (`shard`, `cursor`,
//!   `endCursor`) or a time range over every shard (`from`, `to`, Unix s).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::control::error::{ApiError, ApiResult};
use crate::control::logstores::{cursor, entries, names};
use crate::control::store::StoreError;
use crate::control::store::logs::LogstoreSpec;
use crate::http::openapi::common::ErrorBody;
use crate::http::openapi::logstores::{CreateLogstore, LogstorePath, ProjectPath, ReadParams};
use crate::invoke::queue::now_ms;
use crate::triggers::platform::Platform;

/// Entries a read returns by default: 100; at most 1,000.
const DEFAULT_READ: usize = 100;
const MAX_READ: usize = 1000;
/// A time-range read without `from` looks back 15 minutes.
const DEFAULT_LOOKBACK_MS: i64 = 15 * 60_000;

fn not_found(project: &str, logstore: &str) -> impl Fn(StoreError) -> ApiError {
    let name = format!("{project}/{logstore}");
    move |e| match e {
        StoreError::NotFound => ApiError::LogstoreNotFound(name.clone()),
        other => ApiError::from(other),
    }
}

/// A logstore the path names, or 404: a name Log Service would refuse
/// cannot name one (and never reaches the store).
fn named(project: &str, logstore: &str) -> ApiResult<()> {
    if names::project_ok(project) && names::logstore_ok(logstore) {
        Ok(())
    } else {
        Err(ApiError::LogstoreNotFound(format!("{project}/{logstore}")))
    }
}

fn view(project: &str, logstore: &str, spec: &LogstoreSpec) -> Value {
    json!({
        "projectName": project,
        "logstoreName": logstore,
        "shardCount": spec.shard_count,
        "ttl": spec.ttl,
        "maxBytesPerShard": spec.max_bytes_per_shard,
        "createTime": spec.create_time / 1000,
    })
}

/// Creates a logstore.
#[utoipa::path(post, path = "/_wasm-fc/log/projects/{projectName}/logstores", operation_id = "CreateLogstore", tag = "wasm-fc",
    params(ProjectPath), request_body = CreateLogstore,
    responses(
        (status = 200, description = "The logstore", body = serde_json::Value),
        (status = 400, description = "A bad name or setting (named)", body = ErrorBody),
        (status = 409, description = "It exists (LogStoreAlreadyExist)", body = ErrorBody),
    ))]
pub async fn create(
    State(p): State<Arc<Platform>>,
    Path(project): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::InvalidArgument(format!("the body is not JSON: {e}")))?;
    let logstore = body["logstoreName"]
        .as_str()
        .ok_or_else(|| ApiError::InvalidArgument("logstoreName is required".into()))?
        .to_string();
    names::check(&project, &logstore)?;
    let spec = crate::control::logstores::spec_from(&body, now_ms())?;
    let (pr, ls) = (project.clone(), logstore.clone());
    if !p
        .store
        .logs(move |b| b.create_logstore(&pr, &ls, &spec))
        .await?
    {
        return Err(ApiError::LogstoreAlreadyExists(format!(
            "{project}/{logstore}"
        )));
    }
    Ok(axum::Json(view(&project, &logstore, &spec)).into_response())
}

/// Lists a project's logstores.
#[utoipa::path(get, path = "/_wasm-fc/log/projects/{projectName}/logstores", operation_id = "ListLogstores", tag = "wasm-fc",
    params(ProjectPath),
    responses((status = 200, description = "{\"logstores\": [...]}", body = serde_json::Value),
        (status = 400, description = "A bad project name", body = ErrorBody)))]
pub async fn list(
    State(p): State<Arc<Platform>>,
    Path(project): Path<String>,
) -> ApiResult<Response> {
    if !names::project_ok(&project) {
        return Err(ApiError::InvalidArgument(format!(
            "project {project:?} is not a valid project name"
        )));
    }
    let pr = project.clone();
    let all = p.store.logs(move |b| b.list_logstores(Some(&pr))).await?;
    let logstores: Vec<Value> = all
        .iter()
        .map(|(pr, ls, spec)| view(pr, ls, spec))
        .collect();
    Ok(axum::Json(json!({ "logstores": logstores })).into_response())
}

/// A logstore's settings and each shard's cursors.
#[utoipa::path(get, path = "/_wasm-fc/log/projects/{projectName}/logstores/{logstoreName}", operation_id = "GetLogstore", tag = "wasm-fc",
    params(LogstorePath),
    responses((status = 200, description = "The logstore with \"shards\": [{shardId, beginCursor, endCursor}]", body = serde_json::Value),
        (status = 404, description = "No such logstore (LogStoreNotExist)", body = ErrorBody)))]
pub async fn get(
    State(p): State<Arc<Platform>>,
    Path((project, logstore)): Path<(String, String)>,
) -> ApiResult<Response> {
    named(&project, &logstore)?;
    let (pr, ls) = (project.clone(), logstore.clone());
    let (spec, heads) = p
        .store
        .logs(move |b| Ok((b.logstore(&pr, &ls)?, b.shard_heads(&pr, &ls)?)))
        .await?;
    let spec = spec.ok_or_else(|| ApiError::LogstoreNotFound(format!("{project}/{logstore}")))?;
    let mut body = view(&project, &logstore, &spec);
    body["shards"] = heads
        .iter()
        .map(|h| json!({"shardId": h.shard, "beginCursor": cursor::encode(h.begin), "endCursor": cursor::encode(h.end)}))
        .collect();
    Ok(axum::Json(body).into_response())
}

/// Deletes a logstore and its entries.
#[utoipa::path(delete, path = "/_wasm-fc/log/projects/{projectName}/logstores/{logstoreName}", operation_id = "DeleteLogstore", tag = "wasm-fc",
    params(LogstorePath),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "No such logstore (LogStoreNotExist)", body = ErrorBody)))]
pub async fn delete(
    State(p): State<Arc<Platform>>,
    Path((project, logstore)): Path<(String, String)>,
) -> ApiResult<Response> {
    named(&project, &logstore)?;
    let (pr, ls) = (project.clone(), logstore.clone());
    p.store
        .logs(move |b| b.delete_logstore(&pr, &ls))
        .await
        .map_err(not_found(&project, &logstore))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Appends entries (to the given shard, else the next in turn).
#[utoipa::path(post, path = "/_wasm-fc/log/projects/{projectName}/logstores/{logstoreName}/entries", operation_id = "PutLogs", tag = "wasm-fc",
    params(LogstorePath),
    request_body(content = serde_json::Value, description = "{\"logs\": [{field: value, \"__time__\"?: unix s}], \"shard\"?: n}, at most 4096 entries and 5 MiB"),
    responses((status = 200, description = "{shardId, beginCursor, endCursor, count}", body = serde_json::Value),
        (status = 400, description = "Not entries, too many, or no such shard", body = ErrorBody),
        (status = 404, description = "No such logstore (LogStoreNotExist)", body = ErrorBody)))]
pub async fn append(
    State(p): State<Arc<Platform>>,
    Path((project, logstore)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    named(&project, &logstore)?;
    let (new, shard) = entries::parse_append(&body, now_ms())?;
    let count = new.len() as i64;
    let (pr, ls) = (project.clone(), logstore.clone());
    let pick = fastrand::u32(..);
    let appended = p
        .store
        .logs(move |b| {
            let Some(spec) = b.logstore(&pr, &ls)? else {
                return Ok(None);
            };
            let shard = shard.unwrap_or(pick % spec.shard_count.max(1));
            if shard >= spec.shard_count {
                return Ok(Some(Err(spec.shard_count)));
            }
            Ok(Some(Ok((shard, b.append_logs(&pr, &ls, shard, &new)?))))
        })
        .await
        .map_err(not_found(&project, &logstore))?;
    match appended {
        None => Err(ApiError::LogstoreNotFound(format!("{project}/{logstore}"))),
        Some(Err(shards)) => Err(ApiError::InvalidArgument(format!(
            "shard must be below the logstore's {shards} shards"
        ))),
        Some(Ok((shard, first))) => Ok(axum::Json(json!({
            "shardId": shard,
            "beginCursor": cursor::encode(first),
            "endCursor": cursor::encode(first + count),
            "count": count,
        }))
        .into_response()),
    }
}

/// Reads entries by cursor range or time range.
#[utoipa::path(get, path = "/_wasm-fc/log/projects/{projectName}/logstores/{logstoreName}/entries", operation_id = "GetLogs", tag = "wasm-fc",
    params(LogstorePath, ReadParams),
    responses((status = 200, description = "{\"logs\": [...], \"nextCursor\"?} oldest first", body = serde_json::Value),
        (status = 400, description = "A bad cursor, shard or range", body = ErrorBody),
        (status = 404, description = "No such logstore (LogStoreNotExist)", body = ErrorBody)))]
pub async fn read(
    State(p): State<Arc<Platform>>,
    Path((project, logstore)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    named(&project, &logstore)?;
    let number = |name: &str| -> ApiResult<Option<i64>> {
        q.get(name)
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    ApiError::InvalidArgument(format!("{name} must be an integer, got {v:?}"))
                })
            })
            .transpose()
    };
    let limit = match number("limit")? {
        None => DEFAULT_READ,
        Some(n) if (1..=MAX_READ as i64).contains(&n) => n as usize,
        Some(n) => {
            return Err(ApiError::InvalidArgument(format!(
                "limit must be in 1..={MAX_READ}, got {n}"
            )));
        }
    };
    let (pr, ls) = (project.clone(), logstore.clone());
    let Some(spec) = p.store.logs(move |b| b.logstore(&pr, &ls)).await? else {
        return Err(ApiError::LogstoreNotFound(format!("{project}/{logstore}")));
    };
    let (pr, ls) = (project.clone(), logstore.clone());
    if let Some(start) = q.get("cursor") {
        let from = cursor::decode(start, "cursor")?;
        let to = q
            .get("endCursor")
            .map(|c| cursor::decode(c, "endCursor"))
            .transpose()?
            .unwrap_or(i64::MAX);
        let shard = number("shard")?.unwrap_or(0);
        if !(0..i64::from(spec.shard_count)).contains(&shard) {
            return Err(ApiError::InvalidArgument(format!(
                "shard must be below the logstore's {} shards",
                spec.shard_count
            )));
        }
        let found = p
            .store
            .logs(move |b| b.read_logs(&pr, &ls, shard as u32, from, to, limit))
            .await?;
        let next = found.last().map_or(from, |e| e.seq + 1);
        let logs: Vec<Value> = found.iter().map(entries::shown).collect();
        return Ok(
            axum::Json(json!({ "logs": logs, "nextCursor": cursor::encode(next) })).into_response(),
        );
    }
    let now = now_ms();
    let to_ms = number("to")?.map_or(now + 1, |s| s.saturating_mul(1000));
    let from_ms = number("from")?.map_or(now - DEFAULT_LOOKBACK_MS, |s| s.saturating_mul(1000));
    let found = p
        .store
        .logs(move |b| b.read_logs_by_time(&pr, &ls, from_ms, to_ms, limit))
        .await?;
    let logs: Vec<Value> = found.iter().map(entries::shown).collect();
    Ok(axum::Json(json!({ "logs": logs })).into_response())
}
