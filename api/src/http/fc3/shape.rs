//! FC 3.0's shapes of what FC 2.0 stores: a function with its service's
//! role, VPC, NAS and internet settings on it, ARNs by function name, and async
//! invoke configs named by function.

use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::forward::Answer;
use super::{Call, Fc3};
use crate::control::error::{ApiError, ApiResult};
use crate::control::fc3_names::fc3_name;
use crate::control::model;
use crate::control::store::Kind;

/// Keys FC 3.0 sets on a function that FC 2.0 keeps on its service.
pub const SERVICE_KEYS: [&str; 6] = [
    "role",
    "vpcConfig",
    "nasConfig",
    "internetAccess",
    "tracingConfig",
    "ossMountConfig",
];

/// `acs:fc:{region}:{account}:functions/{name}`.
pub fn function_arn(fc3: &Fc3, name: &str) -> String {
    let identity = &fc3.platform.identity;
    format!(
        "acs:fc:{}:{}:functions/{name}",
        identity.region, identity.account_id
    )
}

/// The FC 3.0 function `name` from its FC 2.0 function (public JSON) and service row.
pub fn function(fc3: &Fc3, name: &str, function: &Value, service: &Value) -> Value {
    let mut out: Map<String, Value> = function.as_object().cloned().unwrap_or_default();
    out.remove("serviceName");
    out.insert("functionName".into(), Value::from(name));
    out.insert("functionArn".into(), Value::from(function_arn(fc3, name)));
    for key in SERVICE_KEYS {
        if let Some(value) = service.get(key) {
            out.insert(key.into(), value.clone());
        }
    }
    let own_log = function["logConfig"]["project"]
        .as_str()
        .is_some_and(|p| !p.is_empty());
    if !own_log && let Some(log) = service.get("logConfig") {
        out.insert("logConfig".into(), log.clone());
    }
    let memory = function["memorySize"].as_f64().unwrap_or(512.0);
    out.entry("cpu")
        .or_insert_with(|| json!(((memory / 1024.0) * 100.0).round() / 100.0));
    out.entry("diskSize").or_insert_with(|| json!(512));
    out.insert("state".into(), Value::from("Active"));
    out.insert("lastUpdateStatus".into(), Value::from("Successful"));
    Value::Object(out)
}

/// FC 3.0's `layers: [{arn, size}]` from FC 2.0's list of layer ARNs (a
/// layer version deleted meanwhile has size 0).
pub async fn layer_objects(fc3: &Fc3, function: &mut Value) {
    let Some(list) = function.get("layers").and_then(Value::as_array).cloned() else {
        return;
    };
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        let Some(arn) = item.as_str() else {
            out.push(item);
            continue;
        };
        let size = match crate::control::names::parse_layer_arn(arn) {
            Some((layer, version)) => {
                crate::http::routes::layers::get_version(&fc3.platform, &layer, &version)
                    .await
                    .ok()
                    .and_then(|v| v["codeSize"].as_u64())
                    .unwrap_or(0)
            }
            None => 0,
        };
        out.push(json!({ "arn": arn, "size": size }));
    }
    function["layers"] = Value::Array(out);
}

/// A layer version in FC 3.0's shape: its ARN is also `layerVersionArn`.
pub fn layer_version(value: &mut Value) {
    let add = |layer: &mut Value| {
        if let Some(arn) = layer.get("arn").cloned() {
            layer["layerVersionArn"] = arn;
        }
    };
    if let Some(list) = value.get_mut("layers").and_then(Value::as_array_mut) {
        list.iter_mut().for_each(add);
    } else {
        add(value);
    }
}

/// The service row of `service` (`Null` if it went away meanwhile).
pub async fn service_row(fc3: &Fc3, service: &str) -> ApiResult<Value> {
    Ok(fc3
        .platform
        .store
        .get(Kind::Service, "", service)
        .await
        .map_err(|e| ApiError::internal("reading a service", e))?
        .map(model::public)
        .unwrap_or(Value::Null))
}

/// An FC 2.0 function answer as the FC 3.0 function `name`.
pub async fn function_answer(
    fc3: &Fc3,
    answer: Answer,
    name: &str,
    service: &str,
) -> ApiResult<Response> {
    if !answer.ok() {
        return Ok(answer.fc3_error(name));
    }
    let service = service_row(fc3, service).await?;
    let mut value = function(fc3, name, &answer.json(), &service);
    layer_objects(fc3, &mut value).await;
    Ok(answer.with_json(&value))
}

/// An async invoke config named by its FC 3.0 function.
/// `made_by_fc3` holds the services FC 3.0 created, whose function is named
/// without `$`.
fn async_config(
    fc3: &Fc3,
    mut config: Value,
    made_by_fc3: &std::collections::HashSet<String>,
) -> Value {
    let (service, function) = (
        config["service"].as_str().unwrap_or_default().to_string(),
        config["function"].as_str().unwrap_or_default().to_string(),
    );
    if let Some(map) = config.as_object_mut() {
        map.remove("service");
        map.remove("function");
        let name = if service.is_empty() || (service == function && made_by_fc3.contains(&service))
        {
            function
        } else {
            format!("{service}${function}")
        };
        map.insert("functionArn".into(), Value::from(function_arn(fc3, &name)));
    }
    config
}

/// Get/Put/DeleteAsyncInvokeConfig's answer, in FC 3.0's shape.
pub fn async_config_answer(fc3: &Fc3, answer: Answer, name: &str) -> Response {
    if !answer.ok() {
        return answer.fc3_error(name);
    }
    if answer.body.is_empty() {
        return answer.into_response();
    }
    // The caller knows the name: the ARN is set from it below.
    let mut value = async_config(fc3, answer.json(), &Default::default());
    value["functionArn"] = Value::from(function_arn(fc3, name));
    answer.with_json(&value)
}

/// ListAsyncInvokeConfigs: every function's configs (or `functionName`'s).
pub async fn list_async_configs(fc3: &Fc3, call: &Call) -> ApiResult<Response> {
    let params = query_params(call);
    let rows = fc3
        .platform
        .store
        .list_all(Kind::AsyncConfig)
        .await
        .map_err(|e| ApiError::internal("listing async invoke configs", e))?;
    let made_by_fc3 = fc3
        .platform
        .store
        .list_all(Kind::Service)
        .await
        .map_err(|e| ApiError::internal("listing services", e))?
        .iter()
        .filter(|s| crate::control::fc3_names::is_fc3_service(s))
        .filter_map(|s| s["serviceName"].as_str().map(str::to_string))
        .collect();
    let wanted = params.get("functionName").filter(|n| !n.is_empty());
    let configs: Vec<Value> = rows
        .into_iter()
        .map(|row| async_config(fc3, model::public(row), &made_by_fc3))
        .filter(|c| {
            wanted.is_none_or(|n| {
                c["functionArn"]
                    .as_str()
                    .is_some_and(|arn| arn.ends_with(&format!("functions/{n}")))
            })
        })
        .collect();
    Ok(axum::Json(json!({ "configs": configs })).into_response())
}

/// The call's query parameters, decoded.
pub fn query_params(call: &Call) -> std::collections::HashMap<String, String> {
    crate::control::auth::query_pairs(call.query.as_deref())
        .into_iter()
        .collect()
}

/// The FC 3.0 name of each function of a service row.
pub fn names_in(service: &Value, functions: &[Value]) -> Vec<(String, Value)> {
    functions
        .iter()
        .map(|f| {
            let function = f["functionName"].as_str().unwrap_or_default();
            (fc3_name(service, function), f.clone())
        })
        .collect()
}
