//! CreateService, GetService, UpdateService, DeleteService, ListServices.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::{check_if_match, deleted, list_query, page_response, qualified, resource, touch};
use crate::control::body::Fields;
use crate::control::error::store_error;
use crate::control::error::{ApiError, ApiResult};
use crate::control::model;
use crate::control::store::Kind;
use crate::http::openapi::common::{ErrorBody, IfMatch, ListParams, QualifierParam, ServicePath};
use crate::http::openapi::services::{Service, ServiceCreate, ServiceList, ServiceUpdate};
use crate::triggers::platform::Platform;

/// NAS mount points must name host directories that exist (ARCHITECTURE "Small contracts").
fn check_mounts(service: &serde_json::Map<String, Value>) -> ApiResult<()> {
    for mount in service
        .get("nasConfig")
        .and_then(|n| n["mountPoints"].as_array())
        .into_iter()
        .flatten()
    {
        let addr = mount["serverAddr"].as_str().unwrap_or_default();
        let host = addr
            .split_once(":/")
            .map(|(_, p)| format!("/{p}"))
            .unwrap_or_else(|| addr.to_string());
        if !host.starts_with('/') || !std::path::Path::new(&host).is_dir() {
            return Err(ApiError::InvalidArgument(format!(
                "nasConfig serverAddr {addr:?} must name an existing host directory (an absolute path, or host:/path)"
            )));
        }
    }
    Ok(())
}

/// CreateService.
#[utoipa::path(post, path = "/services", operation_id = "CreateService", tag = "services",
    request_body = ServiceCreate,
    responses(
        (status = 200, description = "The new service", body = Service, headers(("ETag" = String, description = "The resource's ETag, for If-Match"))),
        (status = 409, description = "ServiceAlreadyExists", body = ErrorBody),
    ))]
pub async fn create(State(p): State<Arc<Platform>>, body: Bytes) -> ApiResult<Response> {
    let fields = Fields::parse(&body)?;
    let name = fields.required_string("serviceName")?;
    let mut service = model::new_service(&name, &fields)?;
    check_mounts(&service)?;
    service.insert("_etag".into(), Value::String(model::new_etag()));
    let value = Value::Object(service);
    p.store
        .insert(Kind::Service, "", &name, &value)
        .await
        .map_err(store_error(Kind::Service, &name))?;
    crate::control::logstores::ensure_for(&p.store, &value["logConfig"]).await?;
    Ok(resource(StatusCode::OK, value))
}

/// GetService, of LATEST or of a version or alias.
#[utoipa::path(get, path = "/services/{serviceName}", operation_id = "GetService", tag = "services",
    params(ServicePath, QualifierParam),
    responses(
        (status = 200, description = "The service", body = Service, headers(("ETag" = String, description = "The resource's ETag, for If-Match"))),
        (status = 404, description = "ServiceNotFound; with a qualifier also VersionNotFound, AliasNotFound", body = ErrorBody),
    ))]
pub async fn get(
    State(p): State<Arc<Platform>>,
    Path(svc): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let (name, qualifier) = qualified(&svc, &params)?;
    let service = match qualifier.filter(|q| *q != "LATEST") {
        None => p.existing(Kind::Service, "", name).await?,
        Some(q) => super::versions::snapshot(&p, name, q).await?["_service"].clone(),
    };
    Ok(resource(StatusCode::OK, service))
}

/// UpdateService: present fields replace, absent ones stay.
#[utoipa::path(put, path = "/services/{serviceName}", operation_id = "UpdateService", tag = "services",
    params(ServicePath, IfMatch),
    request_body = ServiceUpdate,
    responses(
        (status = 200, description = "The updated service", body = Service, headers(("ETag" = String, description = "The resource's ETag, for If-Match"))),
        (status = 404, description = "ServiceNotFound", body = ErrorBody),
        (status = 412, description = "PreconditionFailed", body = ErrorBody),
    ))]
pub async fn update(
    State(p): State<Arc<Platform>>,
    Path(svc): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let fields = Fields::parse(&body)?;
    let name = svc.clone();
    let value = p
        .store
        .transaction(move |tx| {
            let stored = tx
                .get(Kind::Service, "", &name)?
                .ok_or_else(|| ApiError::not_found(Kind::Service, &name))?;
            check_if_match(&headers, &stored)?;
            let Value::Object(map) = stored else {
                return Err(ApiError::invariant("reading a stored service"));
            };
            let mut service = model::apply_service(map, &fields)?;
            check_mounts(&service)?;
            touch(&mut service);
            let value = Value::Object(service);
            tx.update(Kind::Service, "", &name, &value)
                .map_err(store_error(Kind::Service, &name))?;
            Ok(value)
        })
        .await?;
    p.forget(&svc, None);
    crate::control::logstores::ensure_for(&p.store, &value["logConfig"]).await?;
    Ok(resource(StatusCode::OK, value))
}

/// DeleteService; it must have no functions, versions or aliases left.
#[utoipa::path(delete, path = "/services/{serviceName}", operation_id = "DeleteService", tag = "services",
    params(ServicePath, IfMatch),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "ServiceNotFound", body = ErrorBody),
        (status = 409, description = "ResourceConflict: the service still has functions, versions or aliases", body = ErrorBody),
        (status = 412, description = "PreconditionFailed", body = ErrorBody),
    ))]
pub async fn delete(
    State(p): State<Arc<Platform>>,
    Path(svc): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let name = svc.clone();
    p.store
        .transaction(move |tx| {
            let stored = tx
                .get(Kind::Service, "", &name)?
                .ok_or_else(|| ApiError::not_found(Kind::Service, &name))?;
            check_if_match(&headers, &stored)?;
            // Checked in the transaction that deletes: a function created
            // meanwhile cannot be left without its service.
            for (kind, what) in [
                (Kind::Function, "functions"),
                (Kind::Version, "published versions"),
                (Kind::Alias, "aliases"),
            ] {
                let count = tx.count(kind, &name)?;
                if count > 0 {
                    return Err(ApiError::Conflict(format!(
                        "service '{name}' still has {count} {what}; delete them first"
                    )));
                }
            }
            tx.delete(Kind::Service, "", &name)
                .map_err(store_error(Kind::Service, &name))
        })
        .await?;
    p.forget(&svc, None);
    Ok(deleted())
}

/// ListServices, sorted by name.
#[utoipa::path(get, path = "/services", operation_id = "ListServices", tag = "services",
    params(ListParams),
    responses((status = 200, description = "A page of services", body = ServiceList)))]
pub async fn list(
    State(p): State<Arc<Platform>>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let query = list_query(&params)?;
    let page = p
        .store
        .list(Kind::Service, "", &query)
        .await
        .map_err(store_error(Kind::Service, ""))?;
    Ok(page_response("services", page))
}
