//! FC 3.0's HTTP triggers: each has its own URL, served locally at
//! `{endpoint}/2023-03-30/proxy/{functionName}/{triggerName}/{path…}` and given
//! out as `httpTrigger.urlInternet` (docs/fc3.md). Custom-runtime (Wasm)
//! functions get the request as HTTP, as on FC 2.0's proxy path. Python and
//! Node.js functions created through FC 3.0 get FC 3.0's HTTP event
//! (`version: v1`; fc-events.md §1.9) in their event handler, and what they
//! return becomes the response: an object with `statusCode` gives the status,
//! `headers`, and `body` (base64-decoded when `isBase64Encoded`); anything else
//! is a 200 whose body is the return value.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value, json};

use super::forward::seg;
use super::{Call, Fc3, PREFIX};
use crate::control::auth::{SignedRequest, verify};
use crate::control::error::{ApiError, ApiResult};
use crate::control::fc3_names::{is_fc3_service, place};
use crate::control::runtimes::{RuntimeKind, classify};
use crate::control::store::Kind;
use crate::http::proxy::{BasePathOverride, ProxyState, SignatureChecked};
use crate::http::server::RequestId;
use crate::invoke::MAX_SYNC_PAYLOAD;

/// The URL of FC 3.0 function `name`'s HTTP trigger `trigger`.
pub fn trigger_url(base: &str, name: &str, trigger: &str) -> String {
    format!("{base}{PREFIX}/proxy/{}/{}/", seg(name), seg(trigger))
}

/// Trigger operations, forwarded to FC 2.0; HTTP triggers gain FC 3.0's
/// `httpTrigger.urlInternet` / `urlIntranet`.
pub async fn forward_triggers(
    fc3: &Fc3,
    call: &Call,
    name: &str,
    path: &str,
) -> ApiResult<Response> {
    let answer = fc3.fc2.relay(call, path).await?;
    if !answer.ok() {
        return Ok(answer.fc3_error(name));
    }
    if answer.body.is_empty() {
        return Ok(answer.into_response());
    }
    let base = crate::http::routes::functions::public_base(&fc3.platform, &call.headers);
    let mut value = answer.json();
    let add_url = |trigger: &mut Value| {
        if trigger["triggerType"] == "http" {
            let trigger_name = trigger["triggerName"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let url = trigger_url(&base, name, &trigger_name);
            trigger["httpTrigger"] = json!({ "urlInternet": url, "urlIntranet": url });
        }
        trigger["status"] = Value::from("Ready");
    };
    if let Some(list) = value.get_mut("triggers").and_then(Value::as_array_mut) {
        list.iter_mut().for_each(add_url);
    } else {
        add_url(&mut value);
    }
    Ok(answer.with_json(&value))
}

/// The handler of `/2023-03-30/proxy/{functionName}/{triggerName}/{path…}`.
pub(crate) async fn proxy(State(state): State<Arc<ProxyState>>, request: Request) -> Response {
    serve(&state, request)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn serve(state: &Arc<ProxyState>, request: Request) -> ApiResult<Response> {
    let p = &state.platform;
    let rest = request
        .uri()
        .path()
        .strip_prefix(&format!("{PREFIX}/proxy/"))
        .unwrap_or_default()
        .to_string();
    let mut parts = rest.splitn(3, '/');
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let name = decode(parts.next().unwrap_or_default());
    let trigger_name = decode(parts.next().unwrap_or_default());
    let tail = format!("/{}", parts.next().unwrap_or_default());
    let not_found = || ApiError::NotFound {
        kind: Kind::Trigger,
        name: format!("{name}/{trigger_name}"),
    };
    let at = place(&name).ok_or_else(not_found)?;
    let service = p
        .store
        .get(Kind::Service, "", &at.service)
        .await
        .map_err(|e| ApiError::internal("reading a service", e))?
        .ok_or_else(not_found)?;
    let fc3_model = is_fc3_service(&service);
    if !at.migrated && !fc3_model {
        return Err(not_found());
    }
    let trigger = p
        .store
        .get(
            Kind::Trigger,
            &format!("{}/{}", at.service, at.function),
            &trigger_name,
        )
        .await
        .map_err(|e| ApiError::internal("reading a trigger", e))?
        .filter(|t| t["triggerType"] == "http")
        .ok_or_else(not_found)?;
    let anonymous = trigger["triggerConfig"]["authType"]
        .as_str()
        .is_none_or(|a| a.eq_ignore_ascii_case("anonymous"));
    let mut request = request;
    if !anonymous {
        verify(
            &SignedRequest::from_http(&request),
            |id| state.keys.secret_for(id),
            std::time::SystemTime::now(),
        )
        .map_err(ApiError::Auth)?;
        request.extensions_mut().insert(SignatureChecked);
    }
    let qualifier = trigger["qualifier"]
        .as_str()
        .filter(|q| !q.is_empty())
        .unwrap_or("LATEST")
        .to_string();
    let function = p
        .store
        .get(Kind::Function, &at.service, &at.function)
        .await
        .map_err(|e| ApiError::internal("reading a function", e))?
        .ok_or_else(not_found)?;
    let interpreted = matches!(
        classify(function["runtime"].as_str().unwrap_or_default()),
        Ok(RuntimeKind::Interpreted(_))
    );
    if fc3_model && interpreted {
        let allowed = trigger["triggerConfig"]["methods"].as_array();
        let method = request.method().as_str();
        if allowed.is_some_and(|methods| {
            !methods
                .iter()
                .any(|m| m.as_str().is_some_and(|m| m.eq_ignore_ascii_case(method)))
        }) {
            return Err(ApiError::MethodNotAllowed(format!(
                "method {method} is not allowed by the HTTP trigger {trigger_name}"
            )));
        }
        return as_event(state, request, &at.service, &qualifier, &at.function, &tail).await;
    }
    // Everything else is FC 2.0's proxy path for the same function and qualifier.
    let target = format!(
        "/2016-08-15/proxy/{}.{}/{}{}",
        seg(&at.service),
        seg(&qualifier),
        seg(&at.function),
        tail
    );
    let uri = match request.uri().query() {
        Some(q) => format!("{target}?{q}"),
        None => target,
    };
    request.extensions_mut().insert(BasePathOverride(format!(
        "{PREFIX}/proxy/{}/{}/",
        seg(&name),
        seg(&trigger_name)
    )));
    *request.uri_mut() = uri
        .parse()
        .map_err(|e| ApiError::InvalidArgument(format!("bad request path: {e}")))?;
    Ok(crate::http::proxy::handle_request(state, request).await)
}

/// An FC 3.0 Python or Node.js function: the request as FC 3.0's HTTP event.
async fn as_event(
    state: &Arc<ProxyState>,
    request: Request,
    service: &str,
    qualifier: &str,
    function: &str,
    tail: &str,
) -> ApiResult<Response> {
    let p = &state.platform;
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let source_ip = crate::http::proxy::client_ip(&request)
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_SYNC_PAYLOAD)
        .await
        .map_err(|_| ApiError::EntityTooLarge(MAX_SYNC_PAYLOAD))?;
    let event = http_event(
        &parts,
        &body,
        tail,
        &request_id,
        &source_ip,
        &p.identity.account_id,
    );
    let resolved = p.resolve(service, Some(qualifier), function).await?;
    let outcome = crate::invoke::run(
        p,
        &resolved,
        "http",
        axum::body::Bytes::from(event.to_string()),
        &request_id,
        0,
        None,
    )
    .await?;
    let mut response = match &outcome.result {
        Ok(returned) => event_response(returned),
        Err(error) => {
            let mut r = (
                StatusCode::BAD_GATEWAY,
                axum::Json(crate::invoke::error_body(error)),
            )
                .into_response();
            r.headers_mut().insert(
                "x-fc-error-type",
                HeaderValue::from_static(error.kind.header_value()),
            );
            r
        }
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-fc-request-id", value);
    }
    Ok(response)
}

/// Go's canonical header name (`content-type` → `Content-Type`), as FC 3.0 sends them.
fn canonical_name(name: &str) -> String {
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => {
                    first.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase()
                }
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// FC 3.0's HTTP event (fc-events.md §1.9): repeated headers and query
/// parameters joined with commas; a body that is not UTF-8 is base64.
pub fn http_event(
    parts: &axum::http::request::Parts,
    body: &[u8],
    path: &str,
    request_id: &str,
    source_ip: &str,
    account_id: &str,
) -> Value {
    let mut headers: Map<String, Value> = Map::new();
    for (name, value) in &parts.headers {
        let Ok(value) = value.to_str() else { continue };
        let key = canonical_name(name.as_str());
        let joined = match headers.get(&key).and_then(Value::as_str) {
            Some(before) => format!("{before},{value}"),
            None => value.to_string(),
        };
        headers.insert(key, Value::from(joined));
    }
    let mut query: Map<String, Value> = Map::new();
    for (k, v) in crate::control::auth::query_pairs(parts.uri.query()) {
        let joined = match query.get(&k).and_then(Value::as_str) {
            Some(before) => format!("{before},{v}"),
            None => v,
        };
        query.insert(k, Value::from(joined));
    }
    let (body, is_base64) = match std::str::from_utf8(body) {
        Ok(text) => (text.to_string(), false),
        Err(_) => (BASE64.encode(body), true),
    };
    let now = chrono::Utc::now();
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    json!({
        "version": "v1",
        "rawPath": path,
        "headers": headers,
        "queryParameters": query,
        "body": body,
        "isBase64Encoded": is_base64,
        "requestContext": {
            "accountId": account_id,
            "domainName": host,
            "domainPrefix": host.split('.').next().unwrap_or_default(),
            "http": {
                "method": parts.method.as_str(),
                "path": path,
                "protocol": format!("{:?}", parts.version),
                "sourceIp": source_ip,
                "userAgent": parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default(),
            },
            "requestId": request_id,
            "time": now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "timeEpoch": now.timestamp_millis().to_string(),
        }
    })
}

/// A handler's return value as the HTTP response (see the module doc).
pub fn event_response(returned: &[u8]) -> Response {
    let parsed: Option<Map<String, Value>> = serde_json::from_slice::<Value>(returned)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .filter(|m| m.contains_key("statusCode"));
    let Some(object) = parsed else {
        return (StatusCode::OK, Body::from(returned.to_vec())).into_response();
    };
    let status = object["statusCode"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let body = match object.get("body") {
        Some(Value::String(text)) if object.get("isBase64Encoded") == Some(&Value::Bool(true)) => {
            BASE64
                .decode(text)
                .unwrap_or_else(|_| text.clone().into_bytes())
        }
        Some(Value::String(text)) => text.clone().into_bytes(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => other.to_string().into_bytes(),
    };
    let mut headers = HeaderMap::new();
    for (name, value) in object
        .get("headers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&text),
        ) {
            if name == header::CONTENT_LENGTH || name.as_str().starts_with("x-fc-") {
                continue;
            }
            headers.append(name, value);
        }
    }
    let mut response = (status, Body::from(body)).into_response();
    response.headers_mut().extend(headers);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_are_canonical() {
        assert_eq!(canonical_name("content-type"), "Content-Type");
        assert_eq!(canonical_name("x-custom-header"), "X-Custom-Header");
    }

    #[test]
    fn a_status_object_maps_to_the_response_and_anything_else_is_the_body() {
        let r = event_response(
            br#"{"statusCode":201,"headers":{"X-A":"1"},"body":"aGk=","isBase64Encoded":true}"#,
        );
        assert_eq!(r.status(), StatusCode::CREATED);
        assert_eq!(r.headers()["x-a"], "1");
        let r = event_response(br#"{"hello":"world"}"#);
        assert_eq!(r.status(), StatusCode::OK);
    }
}
