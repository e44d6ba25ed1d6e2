//! CreateTrigger, GetTrigger, UpdateTrigger, DeleteTrigger, ListTriggers.
//! `triggerConfig` is accepted as an object (2016-08-15) or a JSON string (2021-04-06).
//! Each change is checked by its trigger type and then applied to the running
//! trigger (the scheduler for timers) at once.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::{check_if_match, deleted, list_query, page_response, resource, touch};
use crate::control::body::Fields;
use crate::control::error::store_error;
use crate::control::error::{ApiError, ApiResult};
use crate::control::model;
use crate::control::resources::{Trigger as StoredTrigger, from_row};
use crate::control::store::{Kind, ListQuery, Reader, Tx};
use crate::http::openapi::common::{ErrorBody, FunctionPath, IfMatch, ListParams, TriggerPath};
use crate::http::openapi::triggers::{Trigger, TriggerCreate, TriggerList, TriggerUpdate};
use crate::triggers::platform::Platform;
use crate::triggers::{self, TriggerKey};

fn trigger_config(fields: &Fields) -> ApiResult<Option<Value>> {
    match fields.get("triggerConfig") {
        None => Ok(None),
        Some(Value::String(text)) => serde_json::from_str::<Value>(text)
            .ok()
            .filter(Value::is_object)
            .map(Some)
            .ok_or_else(|| {
                ApiError::InvalidArgument("triggerConfig is a string but not a JSON object".into())
            }),
        Some(object @ Value::Object(_)) => Ok(Some(object.clone())),
        Some(_) => Err(ApiError::InvalidArgument(
            "triggerConfig must be an object (or its JSON text)".into(),
        )),
    }
}

/// A string field stored as given, or null when absent (FC returns these as null).
fn optional_string(fields: &Fields, name: &str) -> ApiResult<Value> {
    Ok(fields
        .string(name)?
        .map(Value::String)
        .unwrap_or(Value::Null))
}

/// A function with an HTTP trigger takes no trigger of another type, and the
/// reverse; and it has one HTTP trigger per qualifier. Checked in the
/// transaction that writes the trigger, so concurrent creates cannot both pass.
fn check_exclusivity(
    tx: &dyn Reader,
    service: &str,
    function: &str,
    new_type: &str,
    new_qualifier: &str,
) -> ApiResult<()> {
    let existing_triggers = tx.list(
        Kind::Trigger,
        &format!("{service}/{function}"),
        &ListQuery {
            limit: 10_000,
            ..ListQuery::default()
        },
    )?;
    for existing in existing_triggers.items {
        let existing_type = existing["triggerType"].as_str().unwrap_or_default();
        if (existing_type == "http") != (new_type == "http") {
            return Err(ApiError::InvalidArgument(format!(
                "a function with an HTTP trigger cannot have triggers of another type: it already has the {existing_type} trigger '{}'",
                existing["triggerName"].as_str().unwrap_or_default()
            )));
        }
        if new_type == "http"
            && existing_type == "http"
            && triggers::qualifier_of(&existing["qualifier"]) == new_qualifier
        {
            return Err(ApiError::InvalidArgument(format!(
                "the function already has the HTTP trigger '{}' for qualifier {new_qualifier}; one HTTP trigger per function and qualifier",
                existing["triggerName"].as_str().unwrap_or_default()
            )));
        }
    }
    Ok(())
}

/// CreateTrigger: validated by its type and started at once.
#[utoipa::path(post, path = "/services/{serviceName}/functions/{functionName}/triggers", operation_id = "CreateTrigger", tag = "triggers",
    params(FunctionPath),
    request_body = TriggerCreate,
    responses(
        (status = 200, description = "The new trigger", body = Trigger, headers(("ETag" = String, description = "The resource's ETag, for If-Match"))),
        (status = 404, description = "ServiceNotFound or FunctionNotFound", body = ErrorBody),
        (status = 409, description = "TriggerAlreadyExists", body = ErrorBody),
    ))]
pub async fn create(
    State(p): State<Arc<Platform>>,
    Path((svc, func)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let fields = Fields::parse(&body)?;
    let name = fields.required_string("triggerName")?;
    model::validate_name("triggerName", &name, 128)?;
    let trigger_type = fields.required_string("triggerType")?;
    let kind = triggers::type_named(&trigger_type).ok_or_else(|| {
        ApiError::InvalidArgument(format!(
            "triggerType {trigger_type:?} is not one of {}",
            triggers::types()
                .iter()
                .map(|t| t.name())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let config = trigger_config(&fields)?
        .ok_or_else(|| ApiError::InvalidArgument("triggerConfig is required".into()))?;
    kind.validate_with(&config, p.brokers())
        .map_err(ApiError::InvalidArgument)?;
    let qualifier = optional_string(&fields, "qualifier")?;
    let scope = format!("{svc}/{func}");
    let now = model::now_timestamp();
    let source_arn = if trigger_type == "http" {
        Value::Null
    } else {
        optional_string(&fields, "sourceArn")?
    };
    kind.validate_source_arn(source_arn.as_str())
        .map_err(ApiError::InvalidArgument)?;
    let value = json!({
        "triggerName": name, "description": fields.string("description")?.unwrap_or_default(),
        "triggerId": model::new_id(), "sourceArn": source_arn, "triggerType": trigger_type,
        "invocationRole": optional_string(&fields, "invocationRole")?,
        "qualifier": qualifier,
        "triggerConfig": config, "createdTime": now, "lastModifiedTime": now,
        "_etag": model::new_etag(), "_service": svc, "_function": func,
    });
    let trigger_key = key(&svc, &func, &name);
    let checked_key = trigger_key.clone();
    let value = p
        .store
        .transaction(move |tx| {
            function_in(tx, &svc, &func)?;
            // A name taken is FC's 409 before any rule about the new trigger's type, so
            // create-or-update clients (`wasm-fc deploy`, Serverless Devs) see "exists".
            if tx.get(Kind::Trigger, &scope, &name)?.is_some() {
                return Err(ApiError::AlreadyExists {
                    kind: Kind::Trigger,
                    name,
                });
            }
            check_exclusivity(
                tx,
                &svc,
                &func,
                &trigger_type,
                triggers::qualifier_of(&qualifier),
            )?;
            kind.check_in(tx, &checked_key, &value)?;
            tx.insert(Kind::Trigger, &scope, &name, &value)
                .map_err(store_error(Kind::Trigger, &name))?;
            Ok(value)
        })
        .await?;
    if let Err(e) = kind.prepare(&p, &trigger_key, &value).await {
        let (scope, name) = (
            format!("{}/{}", trigger_key.service, trigger_key.function),
            trigger_key.trigger.clone(),
        );
        p.store.delete(Kind::Trigger, &scope, &name).await?;
        return Err(e);
    }
    kind.apply(&p, &trigger_key, Some(&from_row::<StoredTrigger>(&value)?));
    Ok(resource(StatusCode::OK, value))
}

fn key(svc: &str, func: &str, name: &str) -> TriggerKey {
    TriggerKey {
        service: svc.to_string(),
        function: func.to_string(),
        trigger: name.to_string(),
    }
}

async fn stored(p: &Platform, svc: &str, func: &str, name: &str) -> ApiResult<Value> {
    p.existing(Kind::Trigger, &format!("{svc}/{func}"), name)
        .await
}

/// The service and its function exist, in the transaction that writes under them.
fn function_in(tx: &dyn Reader, svc: &str, func: &str) -> ApiResult<()> {
    tx.get(Kind::Service, "", svc)?
        .ok_or_else(|| ApiError::not_found(Kind::Service, svc))?;
    tx.get(Kind::Function, svc, func)?
        .ok_or_else(|| ApiError::not_found(Kind::Function, func))?;
    Ok(())
}

/// The trigger row, in the transaction that changes it.
fn stored_in(tx: &dyn Tx, svc: &str, func: &str, name: &str) -> ApiResult<Value> {
    function_in(tx, svc, func)?;
    tx.get(Kind::Trigger, &format!("{svc}/{func}"), name)?
        .ok_or_else(|| ApiError::not_found(Kind::Trigger, name))
}

/// GetTrigger.
#[utoipa::path(get, path = "/services/{serviceName}/functions/{functionName}/triggers/{triggerName}", operation_id = "GetTrigger", tag = "triggers",
    params(TriggerPath),
    responses(
        (status = 200, description = "The trigger", body = Trigger, headers(("ETag" = String, description = "The resource's ETag, for If-Match"))),
        (status = 404, description = "ServiceNotFound, FunctionNotFound or TriggerNotFound", body = ErrorBody),
    ))]
pub async fn get(
    State(p): State<Arc<Platform>>,
    Path((svc, func, name)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    Ok(resource(
        StatusCode::OK,
        stored(&p, &svc, &func, &name).await?,
    ))
}

/// UpdateTrigger: applied to the running trigger at once.
#[utoipa::path(put, path = "/services/{serviceName}/functions/{functionName}/triggers/{triggerName}", operation_id = "UpdateTrigger", tag = "triggers",
    params(TriggerPath, IfMatch),
    request_body = TriggerUpdate,
    responses(
        (status = 200, description = "The updated trigger", body = Trigger, headers(("ETag" = String, description = "The resource's ETag, for If-Match"))),
        (status = 404, description = "ServiceNotFound, FunctionNotFound or TriggerNotFound", body = ErrorBody),
        (status = 412, description = "PreconditionFailed", body = ErrorBody),
    ))]
pub async fn update(
    State(p): State<Arc<Platform>>,
    Path((svc, func, name)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let fields = Fields::parse(&body)?;
    let trigger_key = key(&svc, &func, &name);
    let checked_key = trigger_key.clone();
    let brokers = p.brokers().clone();
    let (kind, value) = p
        .store
        .transaction(move |tx| {
            let Value::Object(mut trigger) = stored_in(tx, &svc, &func, &name)? else {
                return Err(ApiError::invariant("reading a stored trigger"));
            };
            check_if_match(&headers, &Value::Object(trigger.clone()))?;
            let trigger_type = trigger
                .get("triggerType")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let kind = triggers::type_named(&trigger_type)
                .ok_or_else(|| ApiError::invariant("reading a stored trigger's type"))?;
            if let Some(config) = trigger_config(&fields)? {
                kind.validate_with(&config, &brokers)
                    .map_err(ApiError::InvalidArgument)?;
                trigger.insert("triggerConfig".into(), config);
            }
            if trigger_type == "http"
                && let Some(q) = fields.string("qualifier")?.map(Value::String)
                && triggers::qualifier_of(&q)
                    != triggers::qualifier_of(trigger.get("qualifier").unwrap_or(&Value::Null))
            {
                check_exclusivity(tx, &svc, &func, "http", triggers::qualifier_of(&q))?;
            }
            for key in ["invocationRole", "qualifier"] {
                if let Some(v) = fields.string(key)? {
                    trigger.insert(key.into(), json!(v));
                }
            }
            if let Some(d) = fields.string("description")? {
                trigger.insert("description".into(), json!(d));
            }
            touch(&mut trigger);
            trigger.insert("_service".into(), json!(svc));
            trigger.insert("_function".into(), json!(func));
            let value = Value::Object(trigger);
            kind.check_in(tx, &checked_key, &value)?;
            tx.update(Kind::Trigger, &format!("{svc}/{func}"), &name, &value)
                .map_err(store_error(Kind::Trigger, &name))?;
            Ok((kind, value))
        })
        .await?;
    kind.apply(&p, &trigger_key, Some(&from_row::<StoredTrigger>(&value)?));
    Ok(resource(StatusCode::OK, value))
}

/// DeleteTrigger: stops it at once.
#[utoipa::path(delete, path = "/services/{serviceName}/functions/{functionName}/triggers/{triggerName}", operation_id = "DeleteTrigger", tag = "triggers",
    params(TriggerPath, IfMatch),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "ServiceNotFound, FunctionNotFound or TriggerNotFound", body = ErrorBody),
        (status = 412, description = "PreconditionFailed", body = ErrorBody),
    ))]
pub async fn delete(
    State(p): State<Arc<Platform>>,
    Path((svc, func, name)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let trigger_key = key(&svc, &func, &name);
    let trigger = p
        .store
        .transaction(move |tx| {
            let trigger = stored_in(tx, &svc, &func, &name)?;
            check_if_match(&headers, &trigger)?;
            tx.delete(Kind::Trigger, &format!("{svc}/{func}"), &name)
                .map_err(store_error(Kind::Trigger, &name))?;
            Ok::<_, ApiError>(trigger)
        })
        .await?;
    if let Some(kind) = triggers::type_named(trigger["triggerType"].as_str().unwrap_or_default()) {
        kind.apply(&p, &trigger_key, None);
        kind.removed(&p, &trigger_key, &trigger);
    }
    Ok(deleted())
}

/// ListTriggers of a function.
#[utoipa::path(get, path = "/services/{serviceName}/functions/{functionName}/triggers", operation_id = "ListTriggers", tag = "triggers",
    params(FunctionPath, ListParams),
    responses(
        (status = 200, description = "A page of triggers", body = TriggerList),
        (status = 404, description = "ServiceNotFound or FunctionNotFound", body = ErrorBody),
    ))]
pub async fn list(
    State(p): State<Arc<Platform>>,
    Path((svc, func)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    p.resolve(&svc, None, &func).await?;
    let page = p
        .store
        .list(
            Kind::Trigger,
            &format!("{svc}/{func}"),
            &list_query(&params)?,
        )
        .await
        .map_err(store_error(Kind::Trigger, ""))?;
    Ok(page_response("triggers", page))
}
