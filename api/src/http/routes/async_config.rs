//! Put/Get/Delete/ListFunctionAsyncInvokeConfig (fc-api.md §8.2). The queue
//! workers honour `maxAsyncRetryAttempts`, `maxAsyncEventAgeInSeconds` and
//! `destinationConfig` (onSuccess/onFailure to another FC function).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{deleted, list_query, qualified, resource};
use crate::control::body::Fields;
use crate::control::error::store_error;
use crate::control::error::{ApiError, ApiResult};
use crate::control::model;
use crate::control::names::parse_function_arn;
use crate::control::resources::defaults;
use crate::control::store::Kind;
use crate::http::openapi::async_config::{AsyncConfig, AsyncConfigList, AsyncConfigPut};
use crate::http::openapi::common::{ErrorBody, FunctionPath, ListParams, QualifierParam};
use crate::triggers::platform::Platform;

fn destination(config: &Fields, which: &str) -> ApiResult<Option<Value>> {
    let Some(target) = config.object(which)? else {
        return Ok(None);
    };
    let Some(arn) = target.string("destination")? else {
        return Ok(None);
    };
    if parse_function_arn(&arn).is_none() {
        return Err(ApiError::InvalidArgument(format!(
            "{which} destination {arn:?} is not supported: wasm-fc delivers to FC functions (acs:fc:<region>:<uid>:services/<svc>.<qualifier>/functions/<fn>)"
        )));
    }
    Ok(Some(json!({ "destination": arn })))
}

/// PutFunctionAsyncInvokeConfig (for LATEST or a qualifier).
#[utoipa::path(put, path = "/services/{serviceName}/functions/{functionName}/async-invoke-config", operation_id = "PutFunctionAsyncInvokeConfig", tag = "async invoke configs",
    params(FunctionPath, QualifierParam),
    request_body = AsyncConfigPut,
    responses(
        (status = 200, description = "The config", body = AsyncConfig),
        (status = 404, description = "ServiceNotFound or FunctionNotFound; with a qualifier also VersionNotFound, AliasNotFound", body = ErrorBody),
    ))]
pub async fn put(
    State(p): State<Arc<Platform>>,
    Path((svc, func)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult<Response> {
    let fields = Fields::parse(&body)?;
    let (service, qualifier) = qualified(&svc, &params)?;
    let qualifier = qualifier.unwrap_or("LATEST").to_string();
    p.resolve(service, Some(&qualifier), &func).await?;
    let retries = fields
        .int("maxAsyncRetryAttempts")?
        .unwrap_or(i64::from(defaults::MAX_ASYNC_RETRIES));
    if !defaults::MAX_ASYNC_RETRIES_RANGE.contains(&retries) {
        return Err(ApiError::InvalidArgument(format!(
            "maxAsyncRetryAttempts {retries} must be between 0 and 8"
        )));
    }
    let max_age = fields
        .int("maxAsyncEventAgeInSeconds")?
        .unwrap_or(defaults::MAX_ASYNC_EVENT_AGE_SECS);
    if !defaults::MAX_ASYNC_EVENT_AGE_RANGE.contains(&max_age) {
        return Err(ApiError::InvalidArgument(format!(
            "maxAsyncEventAgeInSeconds {max_age} must be between 1 and 2592000"
        )));
    }
    let destinations = fields.object("destinationConfig")?.unwrap_or_default();
    let scope = format!("{service}/{func}");
    let now = model::now_timestamp();
    let mut value = json!({
        "service": service, "function": func, "qualifier": qualifier,
        "createdTime": now, "lastModifiedTime": now,
        "destinationConfig": { "onSuccess": destination(&destinations, "onSuccess")?, "onFailure": destination(&destinations, "onFailure")? },
        "maxAsyncEventAgeInSeconds": max_age, "maxAsyncRetryAttempts": retries,
        "statefulInvocation": fields.bool("statefulInvocation")?.unwrap_or(false),
    });
    let value = p
        .store
        .transaction(move |tx| {
            // A replaced config keeps its creation time.
            if let Some(old) = tx.get(Kind::AsyncConfig, &scope, &qualifier)? {
                value["createdTime"] = old["createdTime"].clone();
            }
            tx.upsert(Kind::AsyncConfig, &scope, &qualifier, &value)?;
            Ok::<_, ApiError>(value)
        })
        .await?;
    Ok(resource(StatusCode::OK, value))
}

/// GetFunctionAsyncInvokeConfig.
#[utoipa::path(get, path = "/services/{serviceName}/functions/{functionName}/async-invoke-config", operation_id = "GetFunctionAsyncInvokeConfig", tag = "async invoke configs",
    params(FunctionPath, QualifierParam),
    responses(
        (status = 200, description = "The config", body = AsyncConfig),
        (status = 404, description = "AsyncConfigNotExists", body = ErrorBody),
    ))]
pub async fn get(
    State(p): State<Arc<Platform>>,
    Path((svc, func)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let (service, qualifier) = qualified(&svc, &params)?;
    let value = p
        .store
        .get(
            Kind::AsyncConfig,
            &format!("{service}/{func}"),
            qualifier.unwrap_or("LATEST"),
        )
        .await
        .map_err(store_error(Kind::AsyncConfig, &func))?
        .ok_or_else(|| ApiError::not_found(Kind::AsyncConfig, &func))?;
    Ok(resource(StatusCode::OK, value))
}

/// DeleteFunctionAsyncInvokeConfig.
#[utoipa::path(delete, path = "/services/{serviceName}/functions/{functionName}/async-invoke-config", operation_id = "DeleteFunctionAsyncInvokeConfig", tag = "async invoke configs",
    params(FunctionPath, QualifierParam),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "AsyncConfigNotExists", body = ErrorBody),
    ))]
pub async fn delete(
    State(p): State<Arc<Platform>>,
    Path((svc, func)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let (service, qualifier) = qualified(&svc, &params)?;
    p.store
        .delete(
            Kind::AsyncConfig,
            &format!("{service}/{func}"),
            qualifier.unwrap_or("LATEST"),
        )
        .await
        .map_err(store_error(Kind::AsyncConfig, &func))?;
    Ok(deleted())
}

/// ListFunctionAsyncInvokeConfigs.
#[utoipa::path(get, path = "/services/{serviceName}/functions/{functionName}/async-invoke-configs", operation_id = "ListFunctionAsyncInvokeConfigs", tag = "async invoke configs",
    params(FunctionPath, ListParams),
    responses((status = 200, description = "A page of configs", body = AsyncConfigList)))]
pub async fn list(
    State(p): State<Arc<Platform>>,
    Path((svc, func)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let page = p
        .store
        .list(
            Kind::AsyncConfig,
            &format!("{svc}/{func}"),
            &list_query(&params)?,
        )
        .await
        .map_err(store_error(Kind::AsyncConfig, &func))?;
    let configs: Vec<Value> = page.items.into_iter().map(model::public).collect();
    Ok(
        axum::Json(json!({ "configs": configs, "nextToken": page.next.unwrap_or_default() }))
            .into_response(),
    )
}
