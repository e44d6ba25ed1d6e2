//! The FC REST routes (fc-api.md §3.2), mounted under `/2016-08-15` and `/2021-04-06`.

mod aliases;
pub mod async_config;
mod layers;
mod logs;
pub use layers::layer_for_arn;
mod functions;
mod invoke;
mod services;
mod triggers;
mod versions;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::model;
use crate::platform::Platform;
use crate::store::{ListQuery, Page};

/// The API versions whose paths wasm-fc answers; both share the same handlers.
pub const API_PREFIXES: [&str; 2] = ["/2016-08-15", "/2021-04-06"];

/// Request bodies up to 140 MB: a 100 MB code zip grows by a third in base64.
pub const MAX_BODY: usize = 140 << 20;

/// Every FC route, without auth (the server adds it).
pub fn api_router(platform: Arc<Platform>) -> Router {
    let mut router = Router::new();
    for prefix in API_PREFIXES {
        router = router
            .route(
                &format!("{prefix}/services"),
                get(services::list).post(services::create),
            )
            .route(
                &format!("{prefix}/services/{{svc}}"),
                get(services::get)
                    .put(services::update)
                    .delete(services::delete),
            )
            .route(
                &format!("{prefix}/services/{{svc}}/functions"),
                get(functions::list).post(functions::create),
            )
            .route(
                &format!("{prefix}/services/{{svc}}/functions/{{func}}"),
                get(functions::get)
                    .put(functions::update)
                    .delete(functions::delete),
            )
            .route(
                &format!("{prefix}/services/{{svc}}/functions/{{func}}/code"),
                get(functions::code),
            )
            .route(
                &format!("{prefix}/services/{{svc}}/functions/{{func}}/async-invoke-config"),
                get(async_config::get)
                    .put(async_config::put)
                    .delete(async_config::delete),
            )
            .route(
                &format!("{prefix}/services/{{svc}}/functions/{{func}}/async-invoke-configs"),
                get(async_config::list),
            )
            .route(&format!("{prefix}/layers"), get(layers::list))
            .route(
                &format!("{prefix}/layers/{{layer}}/versions"),
                get(layers::list_versions).post(layers::publish),
            )
            .route(
                &format!("{prefix}/layers/{{layer}}/versions/{{version}}"),
                get(layers::get).delete(layers::delete),
            )
            .route(
                &format!("{prefix}/layerarn/{{arn}}"),
                get(layers::get_by_arn),
            )
            .route(&format!("{prefix}/account-settings"), get(account_settings))
            .route(
                &format!("{prefix}/services/{{svc}}/functions/{{func}}/invocations"),
                post(invoke::invoke),
            )
            .route(
                &format!("{prefix}/services/{{svc}}/functions/{{func}}/triggers"),
                get(triggers::list).post(triggers::create),
            )
            .route(
                &format!("{prefix}/services/{{svc}}/functions/{{func}}/triggers/{{trigger}}"),
                get(triggers::get)
                    .put(triggers::update)
                    .delete(triggers::delete),
            )
            .route(
                &format!("{prefix}/services/{{svc}}/versions"),
                get(versions::list).post(versions::publish),
            )
            .route(
                &format!("{prefix}/services/{{svc}}/versions/{{version}}"),
                axum::routing::delete(versions::delete),
            )
            .route(
                &format!("{prefix}/services/{{svc}}/aliases"),
                get(aliases::list).post(aliases::create),
            )
            .route(
                &format!("{prefix}/services/{{svc}}/aliases/{{alias}}"),
                get(aliases::get)
                    .put(aliases::update)
                    .delete(aliases::delete),
            );
    }
    router = router.route("/_wasm-fc/logs/{svc}/{func}", get(logs::read));
    router
        .route("/_wasm-fc/code/{file}", get(functions::download))
        .fallback(not_supported)
        .method_not_allowed_fallback(not_supported)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(platform)
}

/// FC's answer to a method or path no route takes.
async fn not_supported(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::PathNotSupported {
        method: method.to_string(),
        path: uri.path().to_string(),
    }
}

/// GetAccountSettings: a local platform has no availability zones.
async fn account_settings() -> Response {
    axum::Json(serde_json::json!({ "availableAZs": [] })).into_response()
}

/// `svc` or `svc.qualifier` (service names cannot contain `.`).
pub fn split_qualifier(segment: &str) -> (&str, Option<&str>) {
    match segment.split_once('.') {
        Some((service, qualifier)) => (service, Some(qualifier)),
        None => (segment, None),
    }
}

/// The service and qualifier a request names, from both places FC takes a
/// qualifier: the 2016-08-15 path form `{service}.{qualifier}` and the query
/// `?qualifier=` that the 2021-04-06 SDKs (and others) send. An empty query
/// value counts as absent. When both are given they must agree, else 400: a
/// silently ignored qualifier would serve another version than the one asked for.
pub fn qualified<'a>(
    segment: &'a str,
    params: &'a HashMap<String, String>,
) -> ApiResult<(&'a str, Option<&'a str>)> {
    let (service, in_path) = split_qualifier(segment);
    let in_query = params
        .get("qualifier")
        .map(String::as_str)
        .filter(|q| !q.is_empty());
    match (in_path, in_query) {
        (Some(path), Some(query)) if path != query => Err(ApiError::InvalidArgument(format!(
            "the qualifier in the path ({path:?}) and in the query ({query:?}) differ; give one"
        ))),
        (path, query) => Ok((service, path.or(query))),
    }
}

/// A JSON resource response with its ETag.
pub fn resource(status: StatusCode, value: Value) -> Response {
    let etag = value["_etag"].as_str().map(str::to_string);
    let mut response = (status, axum::Json(model::public(value))).into_response();
    if let Some(etag) = etag.and_then(|e| HeaderValue::from_str(&e).ok()) {
        response
            .headers_mut()
            .insert(axum::http::header::ETAG, etag);
    }
    response
}

/// 204 No Content, FC's answer to a delete.
pub fn deleted() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Checks `If-Match` against the stored etag.
pub fn check_if_match(headers: &HeaderMap, stored: &Value) -> ApiResult<()> {
    let Some(wanted) = headers
        .get(axum::http::header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(());
    };
    let wanted = wanted.trim_matches('"');
    if wanted == "*" || Some(wanted) == stored["_etag"].as_str() {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed(wanted.to_string()))
    }
}

/// FC's list parameters. `nextToken` wins over `startKey`; limit defaults to 20, at most 100.
pub fn list_query(params: &HashMap<String, String>) -> ApiResult<ListQuery> {
    let limit = match params.get("limit").filter(|l| !l.is_empty()) {
        Some(l) => l
            .parse::<usize>()
            .map_err(|_| ApiError::InvalidArgument(format!("limit {l:?} is not a number")))?,
        None => 20,
    };
    if limit == 0 || limit > 100 {
        return Err(ApiError::InvalidArgument(format!(
            "limit {limit} is out of range 1..=100"
        )));
    }
    let start = params
        .get("nextToken")
        .or_else(|| params.get("startKey"))
        .filter(|s| !s.is_empty())
        .cloned();
    Ok(ListQuery {
        prefix: params.get("prefix").cloned().unwrap_or_default(),
        start,
        limit,
        descending: false,
    })
}

/// `{"<plural>": [...], "nextToken"?}`.
pub fn page_response(plural: &str, page: Page) -> Response {
    let items: Vec<Value> = page.items.into_iter().map(model::public).collect();
    let mut body = serde_json::Map::new();
    body.insert(plural.to_string(), Value::Array(items));
    if let Some(next) = page.next {
        body.insert("nextToken".to_string(), Value::String(next));
    }
    axum::Json(Value::Object(body)).into_response()
}

/// Applies paging to an in-memory, name-sorted list (version snapshots).
pub fn page_of(mut items: Vec<Value>, name_key: &str, query: &ListQuery) -> Page {
    items.sort_by(|a, b| a[name_key].as_str().cmp(&b[name_key].as_str()));
    let mut filtered = items.into_iter().filter(|v| {
        let name = v[name_key].as_str().unwrap_or_default();
        name.starts_with(&query.prefix) && query.start.as_deref().is_none_or(|s| name >= s)
    });
    let page_items: Vec<Value> = filtered.by_ref().take(query.limit).collect();
    let next = filtered
        .next()
        .and_then(|v| v[name_key].as_str().map(str::to_string));
    Page {
        items: page_items,
        next,
    }
}

/// Sets `lastModifiedTime` and a new etag on a changed resource.
pub fn touch(map: &mut serde_json::Map<String, Value>) {
    map.insert(
        "lastModifiedTime".into(),
        Value::String(model::now_timestamp()),
    );
    map.insert("_etag".into(), Value::String(model::new_etag()));
}
