//! CreateService, GetService, UpdateService, DeleteService, ListServices.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::{check_if_match, deleted, list_query, page_response, qualified, resource, touch};
use crate::body::Fields;
use crate::error::{ApiError, ApiResult, Resource};
use crate::model;
use crate::platform::{Platform, store_error};
use crate::store::Kind;

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

pub async fn create(State(p): State<Arc<Platform>>, body: Bytes) -> ApiResult<Response> {
    let fields = Fields::parse(&body)?;
    let name = fields.required_string("serviceName")?;
    let mut service = model::new_service(&name, &fields)?;
    check_mounts(&service)?;
    service.insert("_etag".into(), Value::String(model::new_etag()));
    let value = Value::Object(service);
    p.store
        .insert(Kind::Service, "", &name, &value)
        .map_err(store_error(Resource::Service, &name))?;
    Ok(resource(StatusCode::OK, value))
}

pub async fn get(
    State(p): State<Arc<Platform>>,
    Path(svc): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let (name, qualifier) = qualified(&svc, &params)?;
    let service = match qualifier.filter(|q| *q != "LATEST") {
        None => p.existing(Kind::Service, "", name, Resource::Service)?,
        Some(q) => super::versions::snapshot(&p, name, q)?["_service"].clone(),
    };
    Ok(resource(StatusCode::OK, service))
}

pub async fn update(
    State(p): State<Arc<Platform>>,
    Path(svc): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let fields = Fields::parse(&body)?;
    let stored = p.existing(Kind::Service, "", &svc, Resource::Service)?;
    check_if_match(&headers, &stored)?;
    let Value::Object(map) = stored else {
        return Err(ApiError::Internal("corrupt service row".into()));
    };
    let mut service = model::apply_service(map, &fields)?;
    check_mounts(&service)?;
    touch(&mut service);
    let value = Value::Object(service);
    p.store
        .update(Kind::Service, "", &svc, &value)
        .map_err(store_error(Resource::Service, &svc))?;
    p.forget(&svc, None);
    Ok(resource(StatusCode::OK, value))
}

pub async fn delete(
    State(p): State<Arc<Platform>>,
    Path(svc): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let stored = p.existing(Kind::Service, "", &svc, Resource::Service)?;
    check_if_match(&headers, &stored)?;
    let err = store_error(Resource::Service, &svc);
    for (kind, what) in [
        (Kind::Function, "functions"),
        (Kind::Version, "published versions"),
        (Kind::Alias, "aliases"),
    ] {
        let count = p.store.count(kind, &svc).map_err(&err)?;
        if count > 0 {
            return Err(ApiError::Conflict(format!(
                "service '{svc}' still has {count} {what}; delete them first"
            )));
        }
    }
    p.store.delete(Kind::Service, "", &svc).map_err(err)?;
    p.forget(&svc, None);
    Ok(deleted())
}

pub async fn list(
    State(p): State<Arc<Platform>>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let query = list_query(&params)?;
    let page = p
        .store
        .list(Kind::Service, "", &query)
        .map_err(store_error(Resource::Service, ""))?;
    Ok(page_response("services", page))
}
