//! The FC REST routes (fc-api.md §3.2), mounted under `/2016-08-15` and `/2021-04-06`.

mod aliases;
pub mod async_config;
pub(crate) mod functions;
mod invoke;
pub(crate) mod layers;
mod logs;
mod services;
mod triggers;
mod versions;
mod watch;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::control::error::{ApiError, ApiResult};
use crate::control::model;
pub use crate::control::names::split_qualifier;
use crate::control::store::{ListQuery, Page};
use crate::triggers::platform::Platform;

/// The API versions whose paths wasm-fc answers; both share the same handlers.
pub const API_PREFIXES: [&str; 2] = ["/2016-08-15", "/2021-04-06"];

/// Request bodies up to 140 MB: a 100 MB code zip grows by a third in base64.
pub const MAX_BODY: usize = 140 << 20;

/// Every FC route of one API prefix. This is the one registration list: each
/// `routes!` adds the handlers to the router and their `#[utoipa::path]`
/// operations to the OpenAPI document (crate::http::openapi), so the two cannot drift.
/// One `routes!` per path, with every method of that path.
fn prefix_routes() -> OpenApiRouter<Arc<Platform>> {
    OpenApiRouter::new()
        .routes(routes!(services::list, services::create))
        .routes(routes!(services::get, services::update, services::delete))
        .routes(routes!(functions::list, functions::create))
        .routes(routes!(
            functions::get,
            functions::update,
            functions::delete
        ))
        .routes(routes!(functions::code))
        .routes(routes!(
            async_config::get,
            async_config::put,
            async_config::delete
        ))
        .routes(routes!(async_config::list))
        .routes(routes!(layers::list))
        .routes(routes!(layers::list_versions, layers::publish))
        .routes(routes!(layers::get, layers::delete))
        .routes(routes!(layers::get_by_arn))
        .routes(routes!(account_settings))
        .routes(routes!(invoke::invoke))
        .routes(routes!(triggers::list, triggers::create))
        .routes(routes!(triggers::get, triggers::update, triggers::delete))
        .routes(routes!(versions::list, versions::publish))
        .routes(routes!(versions::delete))
        .routes(routes!(aliases::list, aliases::create))
        .routes(routes!(aliases::get, aliases::update, aliases::delete))
}

/// Every route [`api_router`] serves, with its documentation: the FC routes
/// under both [`API_PREFIXES`], and wasm-fc's own log and code-download routes.
pub fn fc_routes() -> OpenApiRouter<Arc<Platform>> {
    let mut router = OpenApiRouter::with_openapi(crate::http::openapi::Base::openapi());
    for prefix in API_PREFIXES {
        router = router.nest(prefix, prefix_routes());
    }
    router
        .routes(routes!(logs::read))
        .routes(routes!(watch::metrics_history))
        .routes(routes!(watch::timers))
        .routes(routes!(functions::download))
        .routes(routes!(crate::http::oss_notifications::receive))
        .routes(routes!(crate::http::alertmanager::receive))
        .routes(routes!(
            crate::http::logstores::list,
            crate::http::logstores::create
        ))
        .routes(routes!(
            crate::http::logstores::get,
            crate::http::logstores::delete
        ))
        .routes(routes!(
            crate::http::logstores::read,
            crate::http::logstores::append
        ))
}

/// Every FC route, without auth (the server adds it).
pub fn api_router(platform: Arc<Platform>) -> Router {
    let (router, _) = fc_routes().split_for_parts();
    router
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
#[utoipa::path(get, path = "/account-settings", operation_id = "GetAccountSettings", tag = "account",
    responses((status = 200, description = "The account's settings", body = crate::http::openapi::invoke::AccountSettings)))]
async fn account_settings() -> Response {
    axum::Json(serde_json::json!({ "availableAZs": [] })).into_response()
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
