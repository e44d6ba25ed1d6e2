//! CreateFunction, GetFunction, UpdateFunction, DeleteFunction and
//! ListFunctions of FC 3.0, on FC 2.0's services and functions
//! ([`crate::control::fc3_names`]).

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::forward::seg;
use super::shape::{self, SERVICE_KEYS};
use super::{Call, Fc3, located};
use crate::control::error::{ApiError, ApiResult};
use crate::control::fc3_names::{FC3_MARK, is_fc3_service, place};
use crate::control::model;
use crate::control::store::{Kind, ListQuery};

/// FC 3.0's default memory size (MB), where FC 2.0's is 128.
pub const FC3_MEMORY_SIZE_MB: i64 = 512;

/// Functions of one service listed at most (a service holds far fewer).
const MAX_FUNCTIONS_PER_SERVICE: usize = 10_000;

/// The body as a JSON object.
fn object(call: &Call) -> ApiResult<Map<String, Value>> {
    if call.body.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(&call.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::InvalidArgument(
            "the request body must be a JSON object".into(),
        )),
        Err(e) => Err(ApiError::InvalidArgument(format!(
            "the request body is not valid JSON: {e}"
        ))),
    }
}

/// Splits an FC 3.0 function body into its FC 2.0 service and function parts.
fn split(mut body: Map<String, Value>) -> (Map<String, Value>, Map<String, Value>) {
    let mut service = Map::new();
    for key in SERVICE_KEYS {
        if let Some(value) = body.remove(key) {
            service.insert(key.into(), value);
        }
    }
    body.remove("functionName");
    (service, body)
}

/// CreateFunction.
pub async fn create(fc3: &Fc3, call: &Call) -> ApiResult<Response> {
    let body = object(call)?;
    let name = match body.get("functionName") {
        Some(Value::String(n)) => n.clone(),
        Some(_) => {
            return Err(ApiError::InvalidArgument(
                "functionName must be a string".into(),
            ));
        }
        None => return Err(ApiError::InvalidArgument("functionName is required".into())),
    };
    let at = place(&name).ok_or_else(|| {
        ApiError::InvalidArgument(format!(
            "functionName {name:?} is invalid: use a name, or service$function for a function of an FC 2.0 service"
        ))
    })?;
    let (service_part, mut function_part) = split(body);
    function_part
        .entry("memorySize")
        .or_insert_with(|| json!(FC3_MEMORY_SIZE_MB));
    function_part.insert("functionName".into(), Value::from(at.function.clone()));
    let fc2 = &fc3.fc2;
    let id = &call.request_id;
    // A service FC 3.0 made whose function is gone (a crash between the two
    // writes) is taken over rather than left blocking the name.
    let orphan = !at.migrated && orphaned_fc3_service(fc3, &name).await?;
    if !at.migrated && !orphan {
        let mut service_body = service_part;
        service_body.insert("serviceName".into(), Value::from(name.clone()));
        if let Some(d) = function_part.get("description") {
            service_body.insert("description".into(), d.clone());
        }
        let made = fc2
            .json(
                Method::POST,
                "/services",
                Some(&Value::Object(service_body)),
                id,
            )
            .await?;
        if !made.ok() {
            return Ok(made.fc3_error(&name));
        }
        mark_fc3(fc3, &name).await?;
    }
    let path = format!("{}/functions", at.service_path());
    let made = fc2
        .json(Method::POST, &path, Some(&Value::Object(function_part)), id)
        .await?;
    if !made.ok() && !at.migrated {
        let service = at.service_path();
        let undone = fc2.json(Method::DELETE, &service, None, id).await?;
        if !undone.ok() {
            tracing::warn!(function = %name, "could not remove the service of a function that failed to be created");
        }
    }
    shape::function_answer(fc3, made, &name, &at.service).await
}

/// Whether `name` is a service FC 3.0 made that holds no function `name`.
async fn orphaned_fc3_service(fc3: &Fc3, name: &str) -> ApiResult<bool> {
    let store = &fc3.platform.store;
    let Some(service) = store
        .get(Kind::Service, "", name)
        .await
        .map_err(|e| ApiError::internal("reading a service", e))?
    else {
        return Ok(false);
    };
    if !is_fc3_service(&service) {
        return Ok(false);
    }
    let function = store
        .get(Kind::Function, name, name)
        .await
        .map_err(|e| ApiError::internal("reading a function", e))?;
    Ok(function.is_none())
}

/// Marks the new service `name` as made by FC 3.0.
async fn mark_fc3(fc3: &Fc3, name: &str) -> ApiResult<()> {
    let store = &fc3.platform.store;
    let mut row = store
        .get(Kind::Service, "", name)
        .await
        .map_err(|e| ApiError::internal("reading a new service", e))?
        .ok_or_else(|| ApiError::invariant("a service created a moment ago is gone"))?;
    row[FC3_MARK] = Value::Bool(true);
    store
        .update(Kind::Service, "", name, &row)
        .await
        .map_err(|e| ApiError::internal("marking a service as FC 3.0's", e))
}

/// GetFunction (`?qualifier=` for a version or alias).
pub async fn get(fc3: &Fc3, call: &Call, name: &str) -> ApiResult<Response> {
    let at = located(fc3, name).await?;
    let path = at.function_path();
    let answer = fc3.fc2.relay(call, &path).await?;
    shape::function_answer(fc3, answer, name, &at.service).await
}

/// UpdateFunction: the service's part (role, VPC, NAS, internet) goes to the
/// service of an FC 3.0 function; a migrated function's service is changed
/// through FC 2.0 only.
pub async fn update(fc3: &Fc3, call: &Call, name: &str) -> ApiResult<Response> {
    let at = located(fc3, name).await?;
    let (service_part, function_part) = split(object(call)?);
    let id = &call.request_id;
    if !service_part.is_empty() {
        if at.migrated {
            return Err(ApiError::InvalidArgument(format!(
                "{} of {name} belong to its FC 2.0 service {}: change them with UpdateService",
                service_part.keys().cloned().collect::<Vec<_>>().join(", "),
                at.service
            )));
        }
        let path = at.service_path();
        let answer = fc3
            .fc2
            .json(Method::PUT, &path, Some(&Value::Object(service_part)), id)
            .await?;
        if !answer.ok() {
            return Ok(answer.fc3_error(name));
        }
    }
    let path = at.function_path();
    let answer = fc3
        .fc2
        .json(Method::PUT, &path, Some(&Value::Object(function_part)), id)
        .await?;
    shape::function_answer(fc3, answer, name, &at.service).await
}

/// DeleteFunction. An FC 3.0 function's versions and aliases go with it (they
/// are its own); its triggers must be deleted first, as FC requires.
pub async fn delete(fc3: &Fc3, call: &Call, name: &str) -> ApiResult<Response> {
    let at = located(fc3, name).await?;
    let id = &call.request_id;
    let path = at.function_path();
    let answer = fc3.fc2.json(Method::DELETE, &path, None, id).await?;
    if !answer.ok() {
        return Ok(answer.fc3_error(name));
    }
    if !at.migrated {
        let service = seg(&at.service);
        for (kind, key, id_key) in [
            ("aliases", "aliases", "aliasName"),
            ("versions", "versions", "versionId"),
        ] {
            loop {
                let list = fc3
                    .fc2
                    .json(
                        Method::GET,
                        &format!("/services/{service}/{kind}?limit=100"),
                        None,
                        id,
                    )
                    .await?
                    .json();
                let items = list[key].as_array().cloned().unwrap_or_default();
                if items.is_empty() {
                    break;
                }
                for item in items {
                    let item_id = match &item[id_key] {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    let gone = fc3
                        .fc2
                        .json(
                            Method::DELETE,
                            &format!("/services/{service}/{kind}/{}", seg(&item_id)),
                            None,
                            id,
                        )
                        .await?;
                    if !gone.ok() {
                        return Ok(gone.fc3_error(name));
                    }
                }
            }
        }
        let gone = fc3
            .fc2
            .json(Method::DELETE, &format!("/services/{service}"), None, id)
            .await?;
        if !gone.ok() {
            return Ok(gone.fc3_error(name));
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// ListFunctions: FC 3.0 functions by name, and every FC 2.0 function as
/// `service$function`, sorted, with `prefix`, `limit` and `nextToken`.
pub async fn list(fc3: &Fc3, call: &Call) -> ApiResult<Response> {
    let params = shape::query_params(call);
    let query = crate::http::routes::list_query(&params)?;
    let store = &fc3.platform.store;
    let services = store
        .list_all(Kind::Service)
        .await
        .map_err(|e| ApiError::internal("listing services", e))?;
    let mut named: Vec<Value> = Vec::new();
    for service in &services {
        let service_name = service["serviceName"].as_str().unwrap_or_default();
        let all = ListQuery {
            prefix: String::new(),
            start: None,
            limit: MAX_FUNCTIONS_PER_SERVICE,
            descending: false,
        };
        let functions = store
            .list(Kind::Function, service_name, &all)
            .await
            .map_err(|e| ApiError::internal("listing functions", e))?
            .items;
        let public_service = model::public(service.clone());
        for (name, function) in shape::names_in(service, &functions) {
            if is_fc3_service(service) && name.contains('$') {
                continue; // not a shape FC 3.0 creates; reachable through FC 2.0
            }
            let value = shape::function(fc3, &name, &model::public(function), &public_service);
            named.push(value);
        }
    }
    let mut page = crate::http::routes::page_of(named, "functionName", &query);
    for function in &mut page.items {
        shape::layer_objects(fc3, function).await;
    }
    Ok(crate::http::routes::page_response("functions", page))
}
