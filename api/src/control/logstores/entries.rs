//! Entries as the append and read endpoints carry them.
//!
//! Appending takes `{"logs": [{...}, ...], "shard"?: n}` (or a bare JSON
//! array): each entry a JSON object of fields, with an optional `__time__`
//! (Unix s, default now). Reading returns each entry's fields plus
//! `__time__`, `__shard__` and `__cursor__`.

use serde_json::{Map, Value, json};

use crate::control::error::{ApiError, ApiResult};
use crate::control::store::logs::{NewEntry, StoredEntry};

/// Most entries one append takes: 4,096 (SLS PutLogs' limit).
pub const MAX_APPEND_ENTRIES: usize = 4096;
/// Largest append body: 5 MiB.
pub const MAX_APPEND_BYTES: usize = 5 << 20;

/// The entries of an append body, and the shard it asks for.
pub fn parse_append(body: &[u8], now_ms: i64) -> ApiResult<(Vec<NewEntry>, Option<u32>)> {
    if body.len() > MAX_APPEND_BYTES {
        return Err(ApiError::EntityTooLarge(MAX_APPEND_BYTES));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::InvalidArgument(format!("the body is not JSON: {e}")))?;
    let (logs, shard) = match value {
        Value::Array(logs) => (logs, None),
        Value::Object(mut map) => {
            let shard = match map.get("shard") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.as_u64().and_then(|s| u32::try_from(s).ok()).ok_or_else(
                    || ApiError::InvalidArgument(format!("shard must be a shard id, got {v}")),
                )?),
            };
            match map.remove("logs") {
                Some(Value::Array(logs)) => (logs, shard),
                _ => {
                    return Err(ApiError::InvalidArgument(
                        "logs must be a list of entries (JSON objects)".into(),
                    ));
                }
            }
        }
        _ => {
            return Err(ApiError::InvalidArgument(
                "the body must be {\"logs\": [...]} or a list of entries".into(),
            ));
        }
    };
    if logs.is_empty() || logs.len() > MAX_APPEND_ENTRIES {
        return Err(ApiError::InvalidArgument(format!(
            "logs must hold 1-{MAX_APPEND_ENTRIES} entries, got {}",
            logs.len()
        )));
    }
    let entries = logs
        .into_iter()
        .enumerate()
        .map(|(i, log)| {
            let Value::Object(mut fields) = log else {
                return Err(ApiError::InvalidArgument(format!(
                    "logs[{i}] must be a JSON object"
                )));
            };
            let time_ms = match fields.remove("__time__") {
                None | Some(Value::Null) => now_ms,
                Some(t) => t
                    .as_i64()
                    .filter(|t| *t >= 0)
                    .and_then(|t| t.checked_mul(1000))
                    .ok_or_else(|| {
                        ApiError::InvalidArgument(format!(
                            "logs[{i}].__time__ must be Unix seconds, got {t}"
                        ))
                    })?,
            };
            Ok(NewEntry {
                time_ms,
                body: Value::Object(fields).to_string(),
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok((entries, shard))
}

/// One stored entry as the read endpoint and Log trigger events show it.
pub fn shown(e: &StoredEntry) -> Value {
    let mut fields = match serde_json::from_str::<Value>(&e.body) {
        Ok(Value::Object(map)) => map,
        _ => Map::from_iter([("content".to_string(), Value::String(e.body.clone()))]),
    };
    fields.insert("__time__".into(), json!(e.time_ms / 1000));
    fields.insert("__shard__".into(), json!(e.shard));
    fields.insert("__cursor__".into(), json!(super::cursor::encode(e.seq)));
    Value::Object(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_take_objects_with_optional_times_and_refuse_the_rest() {
        let (entries, shard) = parse_append(
            br#"{"logs":[{"a":1,"__time__":10},{"b":2}],"shard":1}"#,
            5000,
        )
        .unwrap();
        assert_eq!(shard, Some(1));
        assert_eq!(entries[0].time_ms, 10_000);
        assert_eq!(entries[0].body, r#"{"a":1}"#);
        assert_eq!(entries[1].time_ms, 5000);
        assert!(parse_append(br#"[1]"#, 0).is_err());
        assert!(parse_append(br#"{"logs":[]}"#, 0).is_err());
        assert!(parse_append(b"nope", 0).is_err());
        assert!(parse_append(br#"{"logs":[{"__time__":"x"}]}"#, 0).is_err());
        assert!(parse_append(br#"{"logs":[{"__time__":9223372036854775807}]}"#, 0).is_err());
    }
}
