//! PublishLayerVersion, GetLayerVersion, GetLayerVersionByArn, ListLayerVersions,
//! ListLayers, DeleteLayerVersion. A function's `layers` (ARNs) are merged into one
//! read-only directory the guest sees at `/opt`; a later layer in the list
//! overrides files of an earlier one.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{deleted, resource};
use crate::control::body::Fields;
use crate::control::error::store_error;
use crate::control::error::{ApiError, ApiResult};
use crate::control::model;
use crate::control::names::parse_layer_arn;
use crate::control::names::version_key;
use crate::control::store::{Kind, ListQuery};
use crate::http::openapi::common::{ErrorBody, LayerPath, LayerVersionPath};
use crate::http::openapi::layers::{
    Layer, LayerList, LayerListParams, LayerPublish, LayerVersionList, LayerVersionListParams,
};
use crate::triggers::platform::Platform;

/// PublishLayerVersion.
#[utoipa::path(post, path = "/layers/{layerName}/versions", operation_id = "PublishLayerVersion", tag = "layers",
    params(LayerPath),
    request_body = LayerPublish,
    responses((status = 200, description = "The new layer version", body = Layer)))]
pub async fn publish(
    State(p): State<Arc<Platform>>,
    Path(layer): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let fields = Fields::parse(&body)?;
    model::validate_name("layerName", &layer, 64)?;
    let code = fields.object("code")?.ok_or_else(|| {
        ApiError::InvalidArgument("code is required: {\"zipFile\": \"<base64 zip>\"}".into())
    })?;
    let zip_file = code.required_string("zipFile")?;
    let description = fields.string("description")?.unwrap_or_default();
    let compatible = fields.string_list("compatibleRuntime")?.unwrap_or_default();
    let package = p.accept_package(zip_file).await?;
    let (region, account) = (p.identity.region.clone(), p.identity.account_id.clone());
    let value = p
        .store
        .transaction(move |tx| {
            let version = tx.next_sequence(&format!("layer/{layer}"))?;
            let arn = format!("acs:fc:{region}:{account}:layers/{layer}/versions/{version}");
            let value = json!({
                "layerName": layer, "version": version, "description": description,
                "code": { "repositoryType": "local", "location": "" },
                "codeSize": package.zip.len(), "codeChecksum": package.checksum.to_string(),
                "createTime": model::now_timestamp(), "acl": 0,
                "compatibleRuntime": compatible,
                "arn": arn, "_codeDigest": package.digest,
            });
            tx.insert(
                Kind::Layer,
                &layer,
                &version_key(&version.to_string()),
                &value,
            )
            .map_err(store_error(Kind::Layer, &layer))?;
            Ok::<_, ApiError>(value)
        })
        .await?;
    Ok(resource(StatusCode::OK, value))
}

pub(crate) async fn get_version(p: &Platform, layer: &str, version: &str) -> ApiResult<Value> {
    p.store
        .get(Kind::Layer, layer, &version_key(version))
        .await
        .map_err(store_error(Kind::Layer, layer))?
        .ok_or_else(|| ApiError::not_found(Kind::Layer, format!("{layer}/{version}")))
}

/// GetLayerVersion.
#[utoipa::path(get, path = "/layers/{layerName}/versions/{version}", operation_id = "GetLayerVersion", tag = "layers",
    params(LayerVersionPath),
    responses(
        (status = 200, description = "The layer version", body = Layer),
        (status = 404, description = "LayerNotFound", body = ErrorBody),
    ))]
pub async fn get(
    State(p): State<Arc<Platform>>,
    Path((layer, version)): Path<(String, String)>,
) -> ApiResult<Response> {
    Ok(resource(
        StatusCode::OK,
        get_version(&p, &layer, &version).await?,
    ))
}

/// GetLayerVersionByArn (the ARN URL-escaped in the path).
#[utoipa::path(get, path = "/layerarn/{arn}", operation_id = "GetLayerVersionByArn", tag = "layers",
    params(("arn" = String, Path, description = "`acs:fc:<region>:<uid>:layers/<name>/versions/<n>`, URL-escaped")),
    responses(
        (status = 200, description = "The layer version", body = Layer),
        (status = 404, description = "LayerNotFound", body = ErrorBody),
    ))]
pub async fn get_by_arn(
    State(p): State<Arc<Platform>>,
    Path(arn): Path<String>,
) -> ApiResult<Response> {
    let (layer, version) = parse_layer_arn(&arn)
        .ok_or_else(|| ApiError::InvalidArgument(format!("{arn:?} is not a layer ARN")))?;
    Ok(resource(
        StatusCode::OK,
        get_version(&p, &layer, &version).await?,
    ))
}

/// DeleteLayerVersion.
#[utoipa::path(delete, path = "/layers/{layerName}/versions/{version}", operation_id = "DeleteLayerVersion", tag = "layers",
    params(LayerVersionPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "LayerNotFound", body = ErrorBody),
    ))]
pub async fn delete(
    State(p): State<Arc<Platform>>,
    Path((layer, version)): Path<(String, String)>,
) -> ApiResult<Response> {
    p.store
        .delete(Kind::Layer, &layer, &version_key(&version))
        .await
        .map_err(store_error(Kind::Layer, &layer))?;
    Ok(deleted())
}

/// ListLayerVersions.
#[utoipa::path(get, path = "/layers/{layerName}/versions", operation_id = "ListLayerVersions", tag = "layers",
    params(LayerPath, LayerVersionListParams),
    responses((status = 200, description = "A page of versions", body = LayerVersionList)))]
pub async fn list_versions(
    State(p): State<Arc<Platform>>,
    Path(layer): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let limit = params
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(20usize)
        .clamp(1, 100);
    let start = params.get("startVersion").map(|v| version_key(v));
    let page = p
        .store
        .list(
            Kind::Layer,
            &layer,
            &ListQuery {
                start,
                limit,
                ..ListQuery::default()
            },
        )
        .await
        .map_err(store_error(Kind::Layer, &layer))?;
    let layers: Vec<Value> = page.items.into_iter().map(model::public).collect();
    let mut body = json!({ "layers": layers });
    if let Some(next) = page.next {
        body["nextVersion"] = json!(next.trim_start_matches('0').parse::<u64>().unwrap_or(0));
    }
    Ok(axum::Json(body).into_response())
}

/// The newest version of every layer.
/// ListLayers: the newest version of each layer.
#[utoipa::path(get, path = "/layers", operation_id = "ListLayers", tag = "layers",
    params(LayerListParams),
    responses((status = 200, description = "The layers", body = LayerList)))]
pub async fn list(
    State(p): State<Arc<Platform>>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let prefix = params.get("prefix").cloned().unwrap_or_default();
    let all = p
        .store
        .list_all(Kind::Layer)
        .await
        .map_err(store_error(Kind::Layer, ""))?;
    let mut newest: std::collections::BTreeMap<String, Value> = std::collections::BTreeMap::new();
    for layer in all {
        let name = layer["layerName"].as_str().unwrap_or_default().to_string();
        if name.starts_with(&prefix)
            && newest
                .get(&name)
                .is_none_or(|old| old["version"].as_u64() < layer["version"].as_u64())
        {
            newest.insert(name, layer);
        }
    }
    Ok(
        axum::Json(
            json!({ "layers": newest.into_values().map(model::public).collect::<Vec<_>>() }),
        )
        .into_response(),
    )
}
