//! FC's resource objects (fc-api.md §3.3-3.7) as JSON values, with FC's defaults
//! and validation rules. Rows in the store are these objects; keys starting
//! with `_` are wasm-fc's own bookkeeping and never leave the server.

use serde_json::{Map, Value, json};

use crate::control::body::Fields;
use crate::control::error::{ApiError, ApiResult};
use crate::control::resources::defaults;

/// Now, as Unix milliseconds (0 before 1970: a clock that wrong orders nothing).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// FC's time format: UTC, second precision, `Z`.
pub fn now_timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format_timestamp(secs)
}

/// Unix ms as RFC 3339 UTC with milliseconds (`2024-01-02T03:04:05.678Z`),
/// the time of FC's log lines.
pub fn timestamp_of_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

pub fn format_timestamp(secs: u64) -> String {
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A fresh etag for a changed resource.
pub fn new_etag() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// FC name rule: `[A-Za-z_][A-Za-z0-9_-]*`, 1..=max characters.
pub fn validate_name(what: &str, name: &str, max: usize) -> ApiResult<()> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !first_ok || !rest_ok || name.len() > max {
        return Err(ApiError::InvalidArgument(format!(
            "{what} {name:?} is invalid: it must be 1-{max} characters of letters, digits, '_' and '-', starting with a letter or '_'"
        )));
    }
    Ok(())
}

/// The public view of a stored row: without the `_` bookkeeping keys.
pub fn public(mut value: Value) -> Value {
    if let Value::Object(map) = &mut value {
        map.retain(|k, _| !k.starts_with('_'));
    }
    value
}

fn set(map: &mut Map<String, Value>, key: &str, value: Value) {
    map.insert(key.to_string(), value);
}

// ---------------------------------------------------------------- services

/// A `logConfig` as stored: both names checked (a bad one is a 400 naming
/// it), or both empty (no logging).
fn log_config(log: &Fields) -> ApiResult<Value> {
    let config = json!({
        "project": log.string("project")?.unwrap_or_default(),
        "logstore": log.string("logstore")?.unwrap_or_default(),
        "enableRequestMetrics": log.bool("enableRequestMetrics")?.unwrap_or(false),
        "enableInstanceMetrics": log.bool("enableInstanceMetrics")?.unwrap_or(false),
    });
    crate::control::logstores::target_of(&config, "logConfig")?;
    Ok(config)
}

/// Applies create/update fields to a service object (partial update semantics).
pub fn apply_service(mut service: Map<String, Value>, f: &Fields) -> ApiResult<Map<String, Value>> {
    if let Some(d) = f.string("description")? {
        set(&mut service, "description", json!(d));
    }
    if let Some(r) = f.string("role")? {
        set(&mut service, "role", json!(r));
    }
    if let Some(b) = f.bool("internetAccess")? {
        set(&mut service, "internetAccess", json!(b));
    }
    if let Some(log) = f.object("logConfig")? {
        set(&mut service, "logConfig", log_config(&log)?);
    }
    if let Some(vpc) = f.object("vpcConfig")? {
        set(
            &mut service,
            "vpcConfig",
            json!({
                "vpcId": vpc.string("vpcId")?.unwrap_or_default(),
                "vSwitchIds": vpc.string_list("vSwitchIds")?.unwrap_or_default(),
                "securityGroupId": vpc.string("securityGroupId")?.unwrap_or_default(),
                "role": vpc.string("role")?.unwrap_or_default(),
            }),
        );
    }
    if let Some(nas) = f.object("nasConfig")? {
        set(&mut service, "nasConfig", nas_config(&nas)?);
    }
    if let Some(tracing) = f.object("tracingConfig")? {
        set(
            &mut service,
            "tracingConfig",
            json!({ "type": tracing.string("type")?, "params": tracing_params(&tracing)? }),
        );
    }
    Ok(service)
}

/// `tracingConfig.params`: an object (e.g. `{"endpoint": "..."}`) or absent.
fn tracing_params(tracing: &Fields) -> ApiResult<Value> {
    match tracing.raw("params") {
        None => Ok(Value::Null),
        Some(params @ Value::Object(_)) => Ok(params),
        Some(_) => Err(ApiError::InvalidArgument(
            "tracingConfig.params is set to an invalid value: expected an object".into(),
        )),
    }
}

fn nas_config(nas: &Fields) -> ApiResult<Value> {
    let mut mount_points = Vec::new();
    if let Some(Value::Array(items)) = nas.get("mountPoints") {
        for item in items {
            let mp = Fields::from_value(item, "nasConfig.mountPoints[]")?;
            let server_addr = mp.required_string("serverAddr")?;
            let mount_dir = mp.required_string("mountDir")?;
            if !mount_dir.starts_with('/') {
                return Err(ApiError::InvalidArgument(format!(
                    "nasConfig mountDir {mount_dir:?} must be an absolute path"
                )));
            }
            mount_points.push(json!({ "serverAddr": server_addr, "mountDir": mount_dir, "enableTLS": mp.bool("enableTLS")?.unwrap_or(false) }));
        }
    }
    Ok(json!({
        "userId": nas.int("userId")?.unwrap_or(-1),
        "groupId": nas.int("groupId")?.unwrap_or(-1),
        "mountPoints": mount_points,
    }))
}

/// A new service with FC's defaults (§3.3's real create output).
pub fn new_service(name: &str, f: &Fields) -> ApiResult<Map<String, Value>> {
    validate_name("serviceName", name, 128)?;
    let now = now_timestamp();
    let base = json!({
        "serviceName": name, "description": "", "role": "",
        "logConfig": {"project": "", "logstore": "", "enableRequestMetrics": false, "enableInstanceMetrics": false},
        "serviceId": new_id(), "createdTime": now, "lastModifiedTime": now,
        "vpcConfig": {"vpcId": "", "vSwitchIds": [], "securityGroupId": "", "role": ""},
        "internetAccess": defaults::INTERNET_ACCESS,
        "nasConfig": {"userId": -1, "groupId": -1, "mountPoints": []},
        "vendorConfig": null,
        "tracingConfig": {"type": null, "params": null},
    });
    let Value::Object(map) = base else {
        return Err(ApiError::invariant("building a service"));
    };
    apply_service(map, f)
}

// ---------------------------------------------------------------- functions

/// Applies create/update fields to a function object, validating FC's ranges.
/// Code is handled by the caller (it needs the store).
pub fn apply_function(
    mut function: Map<String, Value>,
    f: &Fields,
) -> ApiResult<Map<String, Value>> {
    // FC 3.0 keeps logConfig on the function; it wins over the service's.
    if let Some(log) = f.object("logConfig")? {
        set(&mut function, "logConfig", log_config(&log)?);
    }
    if let Some(runtime) = f.get("runtime") {
        let Value::String(runtime) = runtime else {
            return Err(ApiError::InvalidArgument(
                "Runtime is set to an invalid value".into(),
            ));
        };
        crate::control::runtimes::classify(runtime)?;
        set(&mut function, "runtime", json!(runtime));
    }
    if let Some(handler) = f.string("handler")? {
        crate::control::runtimes::handler_file(
            crate::control::runtimes::RuntimeKind::Wasm,
            &handler,
        )?;
        set(&mut function, "handler", json!(handler));
    }
    if let Some(d) = f.string("description")? {
        set(&mut function, "description", json!(d));
    }
    if let Some(m) = f.int("memorySize")? {
        if !defaults::MEMORY_SIZE_RANGE.contains(&m) || m % defaults::MEMORY_SIZE_STEP != 0 {
            return Err(ApiError::InvalidArgument(format!(
                "memorySize {m} is invalid: it must be a multiple of 64 MB between 64 and 32768"
            )));
        }
        set(&mut function, "memorySize", json!(m));
    }
    if let Some(t) = f.int("timeout")? {
        if !defaults::TIMEOUT_RANGE.contains(&t) {
            return Err(ApiError::InvalidArgument(format!(
                "timeout {t} is invalid: it must be between 1 and 86400 seconds"
            )));
        }
        set(&mut function, "timeout", json!(t));
    }
    if let Some(t) = f.int("initializationTimeout")? {
        if !defaults::INITIALIZATION_TIMEOUT_RANGE.contains(&t) {
            return Err(ApiError::InvalidArgument(format!(
                "initializationTimeout {t} is invalid: it must be between 1 and 300 seconds"
            )));
        }
        set(&mut function, "initializationTimeout", json!(t));
    }
    if f.has("initializer") {
        let initializer = f.string("initializer")?.unwrap_or_default();
        if !initializer.is_empty() {
            crate::control::runtimes::handler_file(
                crate::control::runtimes::RuntimeKind::Wasm,
                &initializer,
            )?;
        }
        set(&mut function, "initializer", json!(initializer));
    }
    if let Some(c) = f.int("instanceConcurrency")? {
        if !defaults::INSTANCE_CONCURRENCY_RANGE.contains(&c) {
            return Err(ApiError::InvalidArgument(format!(
                "instanceConcurrency {c} is invalid: it must be between 1 and 200"
            )));
        }
        set(&mut function, "instanceConcurrency", json!(c));
    }
    if let Some(env) = f.string_map("environmentVariables")? {
        let size: usize = env.iter().map(|(k, v)| k.len() + v.len()).sum();
        if size > defaults::ENVIRONMENT_MAX_BYTES {
            return Err(ApiError::InvalidArgument(format!(
                "environmentVariables are {size} bytes; the limit is 4 KB"
            )));
        }
        if let Some(bad) = env
            .keys()
            .find(|k| k.is_empty() || k.contains('=') || k.contains('\0'))
        {
            return Err(ApiError::InvalidArgument(format!(
                "environment variable name {bad:?} is invalid"
            )));
        }
        set(&mut function, "environmentVariables", json!(env));
    }
    if let Some(t) = f.string("instanceType")? {
        set(&mut function, "instanceType", json!(t));
    }
    if let Some(layers) = f.string_list("layers")? {
        set(&mut function, "layers", json!(layers));
    }
    if let Some(port) = f.int("caPort")? {
        set(&mut function, "caPort", json!(port));
    }
    Ok(function)
}

/// A new function with FC's server defaults (§3.4).
pub fn new_function(name: &str, f: &Fields) -> ApiResult<Map<String, Value>> {
    validate_name("functionName", name, 64)?;
    if !f.has("runtime") {
        return Err(ApiError::InvalidArgument("runtime is required".into()));
    }
    if !f.has("handler") {
        return Err(ApiError::InvalidArgument("handler is required".into()));
    }
    let now = now_timestamp();
    let base = json!({
        "functionId": new_id(), "functionName": name, "description": "",
        "runtime": defaults::RUNTIME, "handler": defaults::HANDLER,
        "timeout": defaults::TIMEOUT_SECS,
        "initializer": null, "initializationTimeout": defaults::INITIALIZATION_TIMEOUT_SECS,
        "codeSize": 0, "codeChecksum": "0",
        "memorySize": defaults::MEMORY_SIZE_MB, "environmentVariables": {},
        "createdTime": now, "lastModifiedTime": now,
        "instanceConcurrency": defaults::INSTANCE_CONCURRENCY, "customContainerConfig": null, "caPort": null,
        "instanceType": defaults::INSTANCE_TYPE, "layers": null, "instanceLifecycleConfig": null,
    });
    let Value::Object(map) = base else {
        return Err(ApiError::invariant("building a function"));
    };
    apply_function(map, f)
}

/// A string field of a stored row, or "" when absent.
pub fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_fc_shaped() {
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_timestamp(1_626_319_282), "2021-07-15T03:21:22Z");
    }

    #[test]
    fn names_follow_fc_rules() {
        assert!(validate_name("serviceName", "my_svc-1", 128).is_ok());
        assert!(validate_name("serviceName", "1abc", 128).is_err());
        assert!(validate_name("serviceName", "a.b", 128).is_err());
        assert!(validate_name("serviceName", "", 128).is_err());
        assert!(validate_name("functionName", &"a".repeat(65), 64).is_err());
    }

    #[test]
    fn function_validation() {
        let f = |s: &str| Fields::parse(s.as_bytes()).unwrap();
        let ok = new_function(
            "fn",
            &f(r#"{"runtime":"custom","handler":"index.handler","memorySize":256}"#),
        )
        .unwrap();
        assert_eq!(ok["memorySize"], 256);
        assert_eq!(ok["timeout"], 3);
        let err = new_function(
            "fn",
            &f(r#"{"runtime":"python2.7","handler":"index.handler"}"#),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("not supported") && err.contains("custom"),
            "{err}"
        );
        assert!(
            new_function(
                "fn",
                &f(r#"{"runtime":"custom","handler":"index.handler","memorySize":100}"#)
            )
            .is_err()
        );
        assert!(
            new_function(
                "fn",
                &f(r#"{"runtime":"custom","handler":"index.handler","timeout":0}"#)
            )
            .is_err()
        );
        let big_env = format!(
            r#"{{"runtime":"custom","handler":"index.handler","environmentVariables":{{"K":"{}"}}}}"#,
            "v".repeat(5000)
        );
        assert!(
            new_function("fn", &f(&big_env))
                .unwrap_err()
                .to_string()
                .contains("4 KB")
        );
    }
}
