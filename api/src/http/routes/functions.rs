//! CreateFunction, GetFunction, UpdateFunction, DeleteFunction, ListFunctions,
//! GetFunctionCode (and the download it points to).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::{
    check_if_match, deleted, list_query, page_of, page_response, qualified, resource, touch,
};
use crate::control::body::Fields;
use crate::control::error::store_error;
use crate::control::error::{ApiError, ApiResult};
use crate::control::model;
use crate::control::resources::from_row;
use crate::control::store::{Kind, Reader};
use crate::http::openapi::common::{
    ErrorBody, FunctionPath, IfMatch, ListParams, QualifierParam, ServicePath,
};
use crate::http::openapi::functions::{
    DownloadParams, Function, FunctionCode, FunctionCreate, FunctionList, FunctionUpdate,
};
use crate::triggers::platform::Platform;

/// How long a GetFunctionCode URL stays valid. 10 minutes, like a pre-signed OSS URL.
const CODE_URL_TTL_SECS: u64 = 600;

async fn service_row(p: &Platform, svc: &str) -> ApiResult<Value> {
    p.existing(Kind::Service, "", svc).await
}

/// Reads `code.zipFile`, stores the package and records its identities on the function.
async fn attach_code(
    p: &Platform,
    function: &mut Map<String, Value>,
    code: &Fields,
) -> ApiResult<()> {
    let package = if code.has("ossBucketName") || code.has("ossObjectName") {
        // From the embedded object store (the local OSS).
        let name = |field: &str| {
            code.string(field)?
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    ApiError::InvalidArgument(format!(
                        "code.{field} is required with code from OSS (code.ossBucketName and code.ossObjectName)"
                    ))
                })
        };
        let (bucket, object) = (name("ossBucketName")?, name("ossObjectName")?);
        p.accept_package_from_oss(&bucket, &object).await?
    } else {
        let zip_file = code.required_string("zipFile").map_err(|_| {
            ApiError::InvalidArgument(
                "code.zipFile (a base64 zip) or code.ossBucketName with code.ossObjectName is required".into(),
            )
        })?;
        p.accept_package(zip_file).await?
    };
    function.insert("codeSize".into(), json!(package.zip.len()));
    function.insert("codeChecksum".into(), json!(package.checksum.to_string()));
    function.insert("_codeDigest".into(), json!(package.digest));
    Ok(())
}

/// Checks the code against the runtime and handler, recording `_wasmDigest`.
async fn check_code(p: &Platform, function: &mut Map<String, Value>) -> ApiResult<()> {
    let wasm_digest = p.check_code(function).await?;
    function.insert("_wasmDigest".into(), json!(wasm_digest));
    Ok(())
}

/// Every layer ARN must name a published layer version.
async fn check_layers(p: &Platform, function: &Map<String, Value>) -> ApiResult<()> {
    for arn in function
        .get("layers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        p.layer_for_arn(arn.as_str().unwrap_or_default()).await?;
    }
    Ok(())
}

/// The service exists, in the transaction that writes a function under it.
fn service_in(tx: &dyn Reader, svc: &str) -> ApiResult<()> {
    tx.get(Kind::Service, "", svc)?
        .map(|_| ())
        .ok_or_else(|| ApiError::not_found(Kind::Service, svc))
}

/// CreateFunction: stores the code, checks it against the runtime and handler,
/// and compiles it.
#[utoipa::path(post, path = "/services/{serviceName}/functions", operation_id = "CreateFunction", tag = "functions",
    params(ServicePath),
    request_body = FunctionCreate,
    responses(
        (status = 200, description = "The new function", body = Function, headers(("ETag" = String, description = "The resource's ETag, for If-Match"))),
        (status = 404, description = "ServiceNotFound", body = ErrorBody),
        (status = 409, description = "FunctionAlreadyExists", body = ErrorBody),
    ))]
pub async fn create(
    State(p): State<Arc<Platform>>,
    Path(svc): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let fields =
        crate::control::blocking::run_blocking("reading the request", move || Fields::parse(&body))
            .await?;
    let service = service_row(&p, &svc).await?;
    let name = fields.required_string("functionName")?;
    if p.store
        .get(Kind::Function, &svc, &name)
        .await
        .map_err(store_error(Kind::Function, &name))?
        .is_some()
    {
        return Err(ApiError::AlreadyExists {
            kind: Kind::Function,
            name,
        });
    }
    let mut function = model::new_function(&name, &fields)?;
    let code = fields.object("code")?.ok_or_else(|| {
        ApiError::InvalidArgument("code is required: {\"zipFile\": \"<base64 zip>\"}".into())
    })?;
    attach_code(&p, &mut function, &code).await?;
    check_code(&p, &mut function).await?;
    check_layers(&p, &function).await?;
    function.insert("_etag".into(), json!(model::new_etag()));
    let value = Value::Object(function);
    p.precompile(&from_row(&service)?, &from_row(&value)?)
        .await?;
    let value = p
        .store
        .transaction(move |tx| {
            service_in(tx, &svc)?;
            tx.insert(Kind::Function, &svc, &name, &value)
                .map_err(store_error(Kind::Function, &name))?;
            Ok::<_, ApiError>(value)
        })
        .await?;
    crate::control::logstores::ensure_for(&p.store, &value["logConfig"]).await?;
    Ok(resource(StatusCode::OK, value))
}

/// GetFunction, of LATEST or of a version or alias.
#[utoipa::path(get, path = "/services/{serviceName}/functions/{functionName}", operation_id = "GetFunction", tag = "functions",
    params(FunctionPath, QualifierParam),
    responses(
        (status = 200, description = "The function", body = Function, headers(("ETag" = String, description = "The resource's ETag, for If-Match"))),
        (status = 404, description = "ServiceNotFound or FunctionNotFound; with a qualifier also VersionNotFound, AliasNotFound", body = ErrorBody),
    ))]
pub async fn get(
    State(p): State<Arc<Platform>>,
    Path((svc, func)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let (service, qualifier) = qualified(&svc, &params)?;
    let resolved = p.resolve(service, qualifier, &func).await?;
    Ok(resource(StatusCode::OK, resolved.function_row.clone()))
}

/// UpdateFunction: present fields replace, absent ones stay.
#[utoipa::path(put, path = "/services/{serviceName}/functions/{functionName}", operation_id = "UpdateFunction", tag = "functions",
    params(FunctionPath, IfMatch),
    request_body = FunctionUpdate,
    responses(
        (status = 200, description = "The updated function", body = Function, headers(("ETag" = String, description = "The resource's ETag, for If-Match"))),
        (status = 404, description = "ServiceNotFound or FunctionNotFound", body = ErrorBody),
        (status = 412, description = "PreconditionFailed", body = ErrorBody),
    ))]
pub async fn update(
    State(p): State<Arc<Platform>>,
    Path((svc, func)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let fields =
        crate::control::blocking::run_blocking("reading the request", move || Fields::parse(&body))
            .await?;
    let service = service_row(&p, &svc).await?;
    let stored = p.existing(Kind::Function, &svc, &func).await?;
    check_if_match(&headers, &stored)?;
    let read_etag = stored["_etag"].clone();
    let Value::Object(map) = stored else {
        return Err(ApiError::invariant("reading a stored function"));
    };
    let mut function = model::apply_function(map, &fields)?;
    let code = fields.object("code")?;
    if let Some(code) = &code {
        attach_code(&p, &mut function, code).await?;
    }
    if code.is_some() || fields.has("handler") || fields.has("runtime") {
        check_code(&p, &mut function).await?;
    }
    check_layers(&p, &function).await?;
    touch(&mut function);
    let value = Value::Object(function);
    p.precompile(&from_row(&service)?, &from_row(&value)?)
        .await?;
    let (name, forget) = (func.clone(), svc.clone());
    let value = p
        .store
        .transaction(move |tx| {
            // Written over the row this update read, or not at all: a concurrent
            // update in between is a 412, never silently lost.
            let current = tx
                .get(Kind::Function, &svc, &name)?
                .ok_or_else(|| ApiError::not_found(Kind::Function, &name))?;
            if current["_etag"] != read_etag {
                return Err(ApiError::PreconditionFailed(
                    read_etag.as_str().unwrap_or_default().to_string(),
                ));
            }
            tx.update(Kind::Function, &svc, &name, &value)
                .map_err(store_error(Kind::Function, &name))?;
            Ok(value)
        })
        .await?;
    p.forget(&forget, Some(&func));
    crate::control::logstores::ensure_for(&p.store, &value["logConfig"]).await?;
    Ok(resource(StatusCode::OK, value))
}

/// DeleteFunction, with its triggers.
#[utoipa::path(delete, path = "/services/{serviceName}/functions/{functionName}", operation_id = "DeleteFunction", tag = "functions",
    params(FunctionPath, IfMatch),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "ServiceNotFound or FunctionNotFound", body = ErrorBody),
        (status = 412, description = "PreconditionFailed", body = ErrorBody),
    ))]
pub async fn delete(
    State(p): State<Arc<Platform>>,
    Path((svc, func)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (service, name) = (svc.clone(), func.clone());
    // The function and its triggers go in one transaction, and the triggers
    // stop at once after it (a timer never outlives its function).
    let triggers = p
        .store
        .transaction(move |tx| {
            let stored = tx
                .get(Kind::Function, &service, &name)?
                .ok_or_else(|| ApiError::not_found(Kind::Function, &name))?;
            check_if_match(&headers, &stored)?;
            let triggers = crate::triggers::delete_all_in(tx, &service, &name)?;
            tx.delete(Kind::Function, &service, &name)
                .map_err(store_error(Kind::Function, &name))?;
            Ok::<_, ApiError>(triggers)
        })
        .await?;
    crate::triggers::stop_all(&p, &svc, &func, &triggers);
    p.forget(&svc, Some(&func));
    Ok(deleted())
}

/// ListFunctions of LATEST or of a version or alias.
#[utoipa::path(get, path = "/services/{serviceName}/functions", operation_id = "ListFunctions", tag = "functions",
    params(ServicePath, QualifierParam, ListParams),
    responses(
        (status = 200, description = "A page of functions", body = FunctionList),
        (status = 404, description = "ServiceNotFound; with a qualifier also VersionNotFound, AliasNotFound", body = ErrorBody),
    ))]
pub async fn list(
    State(p): State<Arc<Platform>>,
    Path(svc): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let query = list_query(&params)?;
    let (service, qualifier) = qualified(&svc, &params)?;
    let page = match qualifier.filter(|q| *q != "LATEST") {
        None => {
            service_row(&p, service).await?;
            p.store
                .list(Kind::Function, service, &query)
                .await
                .map_err(store_error(Kind::Function, ""))?
        }
        Some(q) => {
            let snapshot = super::versions::snapshot(&p, service, q).await?;
            page_of(
                snapshot["_functions"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
                "functionName",
                &query,
            )
        }
    };
    Ok(page_response("functions", page))
}

/// The base URL for a URL handed to this client: the configured public
/// endpoint; else the request's `Host` when it names a port (a client that sent
/// `Host` without one, as `@alicloud/fc2` does, may not be on port 80); else the
/// address the server listens on (with the client's host name when it listens on
/// every address).
pub(crate) fn public_base(p: &Platform, headers: &HeaderMap) -> String {
    if let Some(endpoint) = &p.identity.public_endpoint {
        return endpoint.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.parse::<axum::http::uri::Authority>().ok());
    match (host, p.listen_addr.get()) {
        (Some(authority), _) if authority.port_u16().is_some() => format!("http://{authority}"),
        // Listening on every address (0.0.0.0 / [::]): that is no address to
        // connect to, so the name the client used, with the port we listen on.
        (Some(authority), Some(addr)) if addr.ip().is_unspecified() => {
            format!("http://{}:{}", authority.host(), addr.port())
        }
        (None, Some(addr)) if addr.ip().is_unspecified() => {
            format!("http://127.0.0.1:{}", addr.port())
        }
        (_, Some(addr)) => format!("http://{addr}"),
        (_, None) => "http://127.0.0.1:9000".to_string(),
    }
}

/// GetFunctionCode: a download URL for the function's zip, valid for 10 minutes.
#[utoipa::path(get, path = "/services/{serviceName}/functions/{functionName}/code", operation_id = "GetFunctionCode", tag = "functions",
    params(FunctionPath, QualifierParam),
    responses(
        (status = 200, description = "Where to download the code", body = FunctionCode),
        (status = 404, description = "ServiceNotFound or FunctionNotFound; with a qualifier also VersionNotFound, AliasNotFound", body = ErrorBody),
    ))]
pub async fn code(
    State(p): State<Arc<Platform>>,
    Path((svc, func)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (service, qualifier) = qualified(&svc, &params)?;
    let resolved = p.resolve(service, qualifier, &func).await?;
    let file = format!("{}.zip", resolved.function.code_digest);
    let expires = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        + CODE_URL_TTL_SECS;
    let signature = p.url_signer.sign(&file, expires);
    let base = public_base(&p, &headers);
    let url = format!("{base}/_wasm-fc/code/{file}?expires={expires}&signature={signature}");
    Ok(
        axum::Json(json!({ "url": url, "checksum": resolved.function.code_checksum }))
            .into_response(),
    )
}

/// Serves a code zip to a holder of a GetFunctionCode URL.
/// A code download (the URL GetFunctionCode hands out; authorized by its own
/// signature, not FC's).
#[utoipa::path(get, path = "/_wasm-fc/code/{file}", operation_id = "DownloadFunctionCode", tag = "wasm-fc",
    params(("file" = String, Path, description = "`<digest>.zip`"), DownloadParams),
    security(()),
    responses(
        (status = 200, description = "The code zip", content_type = "application/zip", body = String),
        (status = 403, description = "SignatureNotMatch or AccessDenied: a missing, wrong or expired URL signature", body = ErrorBody),
        (status = 404, description = "FunctionNotFound: no such code package", body = ErrorBody),
    ))]
pub async fn download(
    State(p): State<Arc<Platform>>,
    Path(file): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let denied = || ApiError::Auth(crate::control::auth::AuthError::SignatureMismatch);
    let expires: u64 = params
        .get("expires")
        .and_then(|e| e.parse().ok())
        .ok_or_else(denied)?;
    let signature = params.get("signature").ok_or_else(denied)?;
    p.url_signer
        .verify(&file, expires, signature, SystemTime::now())?;
    let digest = file
        .strip_suffix(".zip")
        .filter(|d| d.chars().all(|c| c.is_ascii_hexdigit()))
        .ok_or_else(denied)?;
    let (zip_path, _) = p.local_code(digest).await?;
    let bytes = tokio::fs::read(&zip_path)
        .await
        .map_err(|_| ApiError::not_found(Kind::Function, "code package"))?;
    Ok(([(header::CONTENT_TYPE, "application/zip")], bytes).into_response())
}
