//! Logstores: the local Log Service (docs/logstores.md).
//!
//! Named `{project}/{logstore}`, each with N shards of append-only entries
//! addressed by cursors, kept in the platform's store (so every node sees the
//! same ones) under a retention of age and size
//! ([`crate::control::store::logs`]). What writes into them: a service's or
//! function's `logConfig` ([`crate::invoke::logstore_writer`]), the signed append endpoint
//! (`crate::http::logstores`), and Log triggers' own `logConfig`
//! ([`crate::triggers::log`]). What reads them: `wasm-fc logs --project P
//! --logstore L`, the read endpoint, and Log triggers.

pub mod cursor;
pub mod entries;
pub mod names;
pub mod retention;

use serde_json::Value;

use crate::control::error::{ApiError, ApiResult};
use crate::control::store::StoreHandle;
use crate::control::store::logs::LogstoreSpec;

/// Shards of a logstore created without a count: 1.
pub const DEFAULT_SHARDS: u32 = 1;
/// Most shards a logstore may have: 64.
pub const MAX_SHARDS: u32 = 64;
/// Days an entry is kept by default: 30 (SLS's default).
pub const DEFAULT_TTL_DAYS: u32 = 30;
/// Longest retention: 3650 days (SLS's).
pub const MAX_TTL_DAYS: u32 = 3650;
/// Bytes a shard keeps by default before its oldest entries go: 64 MiB.
pub const DEFAULT_MAX_BYTES_PER_SHARD: i64 = 64 << 20;

/// The settings of a new logstore from a create request's body
/// (`shardCount`, `ttl`, `maxBytesPerShard`; each optional).
pub fn spec_from(body: &Value, now_ms: i64) -> ApiResult<LogstoreSpec> {
    let number = |key: &str, min: i64, max: i64, default: i64| -> ApiResult<i64> {
        match body.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v
                .as_i64()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| {
                    ApiError::InvalidArgument(format!(
                        "{key} must be an integer in {min}..={max}, got {v}"
                    ))
                }),
        }
    };
    Ok(LogstoreSpec {
        shard_count: number(
            "shardCount",
            1,
            i64::from(MAX_SHARDS),
            i64::from(DEFAULT_SHARDS),
        )? as u32,
        ttl: number(
            "ttl",
            1,
            i64::from(MAX_TTL_DAYS),
            i64::from(DEFAULT_TTL_DAYS),
        )? as u32,
        max_bytes_per_shard: number(
            "maxBytesPerShard",
            1 << 20,
            1 << 40,
            DEFAULT_MAX_BYTES_PER_SHARD,
        )?,
        create_time: now_ms,
    })
}

/// The default settings, for a logstore that a `logConfig` names before it
/// exists.
pub fn default_spec(now_ms: i64) -> LogstoreSpec {
    LogstoreSpec {
        shard_count: DEFAULT_SHARDS,
        ttl: DEFAULT_TTL_DAYS,
        max_bytes_per_shard: DEFAULT_MAX_BYTES_PER_SHARD,
        create_time: now_ms,
    }
}

/// Makes sure `{project}/{logstore}` exists, creating it with the defaults
/// (and logging that it did) when it does not: a `logConfig` naming a new
/// logstore works, as Serverless Devs' `logConfig: auto` does.
pub async fn ensure(
    store: &StoreHandle,
    project: &str,
    logstore: &str,
    why: &str,
) -> ApiResult<()> {
    names::check(project, logstore)?;
    let (p, l) = (project.to_string(), logstore.to_string());
    let spec = default_spec(crate::control::model::now_ms());
    let created = store
        .logs(move |b| match b.logstore(&p, &l)? {
            Some(_) => Ok(false),
            None => b.create_logstore(&p, &l, &spec),
        })
        .await?;
    if created {
        tracing::info!(
            project,
            logstore,
            shards = DEFAULT_SHARDS,
            ttl_days = DEFAULT_TTL_DAYS,
            "created logstore {project}/{logstore} with the defaults for {why}"
        );
    }
    Ok(())
}

/// [`ensure`] for a service's or function's `logConfig`, when it names one.
pub async fn ensure_for(store: &StoreHandle, log_config: &Value) -> ApiResult<()> {
    match target_of(log_config, "logConfig")? {
        Some((project, logstore)) => ensure(store, &project, &logstore, "a logConfig").await,
        None => Ok(()),
    }
}

/// A `logConfig` object's `(project, logstore)` when both are set; `None`
/// when both are empty (no logging); a 400 naming the field otherwise.
pub fn target_of(log_config: &Value, field: &str) -> ApiResult<Option<(String, String)>> {
    let text = |key: &str| log_config.get(key).and_then(Value::as_str).unwrap_or("");
    match (text("project"), text("logstore")) {
        ("", "") => Ok(None),
        ("", _) => Err(ApiError::InvalidArgument(format!(
            "{field}.project must be set when {field}.logstore is"
        ))),
        (_, "") => Err(ApiError::InvalidArgument(format!(
            "{field}.logstore must be set when {field}.project is"
        ))),
        (project, logstore) => {
            names::check_field(project, logstore, field)?;
            Ok(Some((project.to_string(), logstore.to_string())))
        }
    }
}
