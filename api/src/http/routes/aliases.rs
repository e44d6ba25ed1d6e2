//! CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases, with weighted
//! `additionalVersionWeight` routing.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::{check_if_match, deleted, list_query, page_response, resource, touch};
use crate::control::body::Fields;
use crate::control::error::store_error;
use crate::control::error::{ApiError, ApiResult};
use crate::control::model;
use crate::control::names::version_key;
use crate::control::store::{Kind, Reader, Tx};
use crate::http::openapi::common::{AliasPath, ErrorBody, IfMatch, ListParams, ServicePath};
use crate::http::openapi::versions::{Alias, AliasCreate, AliasList, AliasUpdate};
use crate::triggers::platform::Platform;

/// The version exists, in the transaction that writes the alias naming it (so
/// DeleteVersion cannot remove it in between).
fn check_version(tx: &dyn Reader, svc: &str, version: &str) -> ApiResult<()> {
    tx.get(Kind::Version, svc, &version_key(version))
        .map_err(store_error(Kind::Version, version))?
        .map(|_| ())
        .ok_or_else(|| ApiError::not_found(Kind::Version, version))
}

/// Applies alias fields, validating versions and weights (each 0..=1, sum ≤ 1).
fn apply(
    tx: &dyn Reader,
    svc: &str,
    mut alias: Map<String, Value>,
    f: &Fields,
) -> ApiResult<Map<String, Value>> {
    if let Some(version) = f.string("versionId")? {
        check_version(tx, svc, &version)?;
        alias.insert("versionId".into(), json!(version));
    }
    if let Some(d) = f.string("description")? {
        alias.insert("description".into(), json!(d));
    }
    if let Some(weights) = f.get("additionalVersionWeight") {
        let Value::Object(map) = weights else {
            return Err(ApiError::InvalidArgument(
                "additionalVersionWeight must be an object of version → weight".into(),
            ));
        };
        let mut sum = 0.0;
        for (version, weight) in map {
            let w = weight
                .as_f64()
                .filter(|w| (0.0..=1.0).contains(w))
                .ok_or_else(|| {
                    ApiError::InvalidArgument(format!(
                        "weight of version {version} must be a number from 0 to 1"
                    ))
                })?;
            check_version(tx, svc, version)?;
            sum += w;
        }
        if sum > 1.0 {
            return Err(ApiError::InvalidArgument(format!(
                "additionalVersionWeight sums to {sum}; it must be at most 1"
            )));
        }
        alias.insert("additionalVersionWeight".into(), weights.clone());
    }
    Ok(alias)
}

async fn stored(p: &Platform, svc: &str, name: &str) -> ApiResult<Value> {
    p.existing(Kind::Alias, svc, name).await
}

/// The service exists, in the transaction that writes under it.
fn check_service(tx: &dyn Reader, svc: &str) -> ApiResult<()> {
    tx.get(Kind::Service, "", svc)?
        .map(|_| ())
        .ok_or_else(|| ApiError::not_found(Kind::Service, svc))
}

/// The alias row, in the transaction that changes it.
fn stored_in(tx: &dyn Tx, svc: &str, name: &str) -> ApiResult<Value> {
    check_service(tx, svc)?;
    tx.get(Kind::Alias, svc, name)?
        .ok_or_else(|| ApiError::not_found(Kind::Alias, name))
}

/// CreateAlias.
#[utoipa::path(post, path = "/services/{serviceName}/aliases", operation_id = "CreateAlias", tag = "aliases",
    params(ServicePath),
    request_body = AliasCreate,
    responses(
        (status = 200, description = "The new alias", body = Alias, headers(("ETag" = String, description = "The resource's ETag, for If-Match"))),
        (status = 404, description = "ServiceNotFound or VersionNotFound", body = ErrorBody),
        (status = 409, description = "AliasAlreadyExists", body = ErrorBody),
    ))]
pub async fn create(
    State(p): State<Arc<Platform>>,
    Path(svc): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let fields = Fields::parse(&body)?;
    let name = fields.required_string("aliasName")?;
    model::validate_name("aliasName", &name, 128)?;
    if name == "LATEST" {
        return Err(ApiError::InvalidArgument(
            "LATEST is reserved and cannot be an alias name".into(),
        ));
    }
    fields.required_string("versionId")?;
    let now = model::now_timestamp();
    let base = json!({ "aliasName": name, "versionId": "", "description": "", "additionalVersionWeight": {}, "createdTime": now, "lastModifiedTime": now, "_etag": model::new_etag() });
    let Value::Object(map) = base else {
        return Err(ApiError::invariant("building an alias"));
    };
    let value = p
        .store
        .transaction(move |tx| {
            check_service(tx, &svc)?;
            let value = Value::Object(apply(tx, &svc, map, &fields)?);
            tx.insert(Kind::Alias, &svc, &name, &value)
                .map_err(store_error(Kind::Alias, &name))?;
            Ok::<_, ApiError>(value)
        })
        .await?;
    Ok(resource(StatusCode::OK, value))
}

/// GetAlias.
#[utoipa::path(get, path = "/services/{serviceName}/aliases/{aliasName}", operation_id = "GetAlias", tag = "aliases",
    params(AliasPath),
    responses(
        (status = 200, description = "The alias", body = Alias, headers(("ETag" = String, description = "The resource's ETag, for If-Match"))),
        (status = 404, description = "ServiceNotFound or AliasNotFound", body = ErrorBody),
    ))]
pub async fn get(
    State(p): State<Arc<Platform>>,
    Path((svc, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    Ok(resource(StatusCode::OK, stored(&p, &svc, &name).await?))
}

/// UpdateAlias.
#[utoipa::path(put, path = "/services/{serviceName}/aliases/{aliasName}", operation_id = "UpdateAlias", tag = "aliases",
    params(AliasPath, IfMatch),
    request_body = AliasUpdate,
    responses(
        (status = 200, description = "The updated alias", body = Alias, headers(("ETag" = String, description = "The resource's ETag, for If-Match"))),
        (status = 404, description = "ServiceNotFound, AliasNotFound or VersionNotFound", body = ErrorBody),
        (status = 412, description = "PreconditionFailed", body = ErrorBody),
    ))]
pub async fn update(
    State(p): State<Arc<Platform>>,
    Path((svc, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let fields = Fields::parse(&body)?;
    let forget = svc.clone();
    let value = p
        .store
        .transaction(move |tx| {
            let current = stored_in(tx, &svc, &name)?;
            check_if_match(&headers, &current)?;
            let Value::Object(map) = current else {
                return Err(ApiError::invariant("reading a stored alias"));
            };
            let mut alias = apply(tx, &svc, map, &fields)?;
            touch(&mut alias);
            let value = Value::Object(alias);
            tx.update(Kind::Alias, &svc, &name, &value)
                .map_err(store_error(Kind::Alias, &name))?;
            Ok(value)
        })
        .await?;
    p.forget(&forget, None);
    Ok(resource(StatusCode::OK, value))
}

/// DeleteAlias.
#[utoipa::path(delete, path = "/services/{serviceName}/aliases/{aliasName}", operation_id = "DeleteAlias", tag = "aliases",
    params(AliasPath, IfMatch),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "ServiceNotFound or AliasNotFound", body = ErrorBody),
        (status = 412, description = "PreconditionFailed", body = ErrorBody),
    ))]
pub async fn delete(
    State(p): State<Arc<Platform>>,
    Path((svc, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    p.store
        .transaction(move |tx| {
            check_if_match(&headers, &stored_in(tx, &svc, &name)?)?;
            tx.delete(Kind::Alias, &svc, &name)
                .map_err(store_error(Kind::Alias, &name))
        })
        .await?;
    Ok(deleted())
}

/// ListAliases.
#[utoipa::path(get, path = "/services/{serviceName}/aliases", operation_id = "ListAliases", tag = "aliases",
    params(ServicePath, ListParams),
    responses(
        (status = 200, description = "A page of aliases", body = AliasList),
        (status = 404, description = "ServiceNotFound", body = ErrorBody),
    ))]
pub async fn list(
    State(p): State<Arc<Platform>>,
    Path(svc): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    p.existing(Kind::Service, "", &svc).await?;
    let page = p
        .store
        .list(Kind::Alias, &svc, &list_query(&params)?)
        .await
        .map_err(store_error(Kind::Alias, ""))?;
    Ok(page_response("aliases", page))
}
