//! PublishServiceVersion, ListServiceVersions, DeleteServiceVersion. A version
//! freezes the service config and every function (code and config); invoking
//! it keeps running that code after LATEST changes.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::{check_if_match, deleted, list_query, resource};
use crate::control::body::Fields;
use crate::control::error::store_error;
use crate::control::error::{ApiError, ApiResult};
use crate::control::model;
use crate::control::names::version_key;
use crate::control::store::{Kind, ListQuery};
use crate::http::openapi::common::{ErrorBody, IfMatch, ServicePath, VersionPath};
use crate::http::openapi::versions::{Version, VersionList, VersionListParams, VersionPublish};
use crate::triggers::platform::Platform;

/// The stored version row for a version id or alias name.
pub async fn snapshot(p: &Platform, service: &str, qualifier: &str) -> ApiResult<Value> {
    let version_id = if qualifier.parse::<u64>().is_ok() {
        qualifier.to_string()
    } else {
        let alias = p.existing(Kind::Alias, service, qualifier).await?;
        alias["versionId"].as_str().unwrap_or_default().to_string()
    };
    p.store
        .get(Kind::Version, service, &version_key(&version_id))
        .await
        .map_err(store_error(Kind::Version, &version_id))?
        .ok_or_else(|| ApiError::not_found(Kind::Version, &version_id))
}

/// What a version's content is, for "nothing changed since the last version".
fn fingerprint(service: &Value, functions: &[Value]) -> String {
    let mut parts = vec![service["_etag"].to_string()];
    parts.extend(
        functions
            .iter()
            .map(|f| format!("{}={}", f["functionName"], f["_etag"])),
    );
    parts.join(",")
}

/// PublishServiceVersion: freezes the service and its functions.
#[utoipa::path(post, path = "/services/{serviceName}/versions", operation_id = "PublishServiceVersion", tag = "versions",
    params(ServicePath, IfMatch),
    request_body = VersionPublish,
    responses(
        (status = 200, description = "The new version", body = Version),
        (status = 404, description = "ServiceNotFound", body = ErrorBody),
        (status = 412, description = "PreconditionFailed", body = ErrorBody),
    ))]
pub async fn publish(
    State(p): State<Arc<Platform>>,
    Path(svc): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let fields = Fields::parse(&body)?;
    let description = fields.string("description")?.unwrap_or_default();
    // Read, compared and written in one transaction: two concurrent publishes
    // of the same content make one version, never two.
    let value = p
        .store
        .transaction(move |tx| {
            let service = tx
                .get(Kind::Service, "", &svc)?
                .ok_or_else(|| ApiError::not_found(Kind::Service, &svc))?;
            check_if_match(&headers, &service)?;
            let functions = tx
                .list(
                    Kind::Function,
                    &svc,
                    &ListQuery {
                        limit: 100_000,
                        ..ListQuery::default()
                    },
                )?
                .items;
            let fingerprint = fingerprint(&service, &functions);
            let latest = tx.list(
                Kind::Version,
                &svc,
                &ListQuery {
                    limit: 1,
                    descending: true,
                    ..ListQuery::default()
                },
            )?;
            if let Some(last) = latest.items.first()
                && last["_fingerprint"].as_str() == Some(fingerprint.as_str())
            {
                return Err(ApiError::InvalidArgument(format!(
                    "nothing changed in service '{svc}' since version {}; publishing needs a change",
                    last["versionId"].as_str().unwrap_or_default()
                )));
            }
            let version_id = tx.next_sequence(&format!("version/{svc}"))?.to_string();
            let now = model::now_timestamp();
            let value = json!({
                "versionId": version_id, "description": description,
                "createdTime": now, "lastModifiedTime": now,
                "_service": service, "_functions": functions, "_fingerprint": fingerprint,
            });
            tx.insert(Kind::Version, &svc, &version_key(&version_id), &value)
                .map_err(store_error(Kind::Version, &version_id))?;
            Ok(value)
        })
        .await?;
    Ok(resource(StatusCode::OK, value))
}

/// ListServiceVersions.
#[utoipa::path(get, path = "/services/{serviceName}/versions", operation_id = "ListServiceVersions", tag = "versions",
    params(ServicePath, VersionListParams),
    responses(
        (status = 200, description = "A page of versions", body = VersionList),
        (status = 404, description = "ServiceNotFound", body = ErrorBody),
    ))]
pub async fn list(
    State(p): State<Arc<Platform>>,
    Path(svc): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    p.existing(Kind::Service, "", &svc).await?;
    let mut query = list_query(&params)?;
    let direction = params
        .get("direction")
        .map(String::as_str)
        .unwrap_or("BACKWARD");
    query.descending = match direction {
        "BACKWARD" => true,
        "FORWARD" => false,
        other => {
            return Err(ApiError::InvalidArgument(format!(
                "direction {other:?} must be BACKWARD or FORWARD"
            )));
        }
    };
    query.start = query.start.map(|s| version_key(&s));
    let page = p
        .store
        .list(Kind::Version, &svc, &query)
        .await
        .map_err(store_error(Kind::Version, ""))?;
    let items: Vec<Value> = page.items.into_iter().map(model::public).collect();
    let mut body = json!({ "versions": items, "direction": direction });
    if let Some(next) = page.next {
        body["nextToken"] = json!(next.trim_start_matches('0'));
    }
    Ok(axum::response::IntoResponse::into_response(axum::Json(
        body,
    )))
}

/// DeleteServiceVersion; no alias may point at it.
#[utoipa::path(delete, path = "/services/{serviceName}/versions/{versionId}", operation_id = "DeleteServiceVersion", tag = "versions",
    params(VersionPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "ServiceNotFound or VersionNotFound", body = ErrorBody),
        (status = 409, description = "ResourceConflict: an alias uses the version", body = ErrorBody),
    ))]
pub async fn delete(
    State(p): State<Arc<Platform>>,
    Path((svc, version)): Path<(String, String)>,
) -> ApiResult<Response> {
    let service = svc.clone();
    // Checked in the transaction that deletes: an alias created meanwhile
    // cannot be left pointing at a version that is gone.
    p.store
        .transaction(move |tx| {
            let aliases = tx.list(
                Kind::Alias,
                &service,
                &ListQuery {
                    limit: 100_000,
                    ..ListQuery::default()
                },
            )?;
            if let Some(alias) = aliases.items.iter().find(|a| {
                a["versionId"].as_str() == Some(version.as_str())
                    || a["additionalVersionWeight"].get(&version).is_some()
            }) {
                return Err(ApiError::Conflict(format!(
                    "version {version} is used by alias '{}'; update or delete the alias first",
                    alias["aliasName"].as_str().unwrap_or_default()
                )));
            }
            tx.delete(Kind::Version, &service, &version_key(&version))
                .map_err(store_error(Kind::Version, &version))
        })
        .await?;
    p.forget(&svc, None);
    Ok(deleted())
}
