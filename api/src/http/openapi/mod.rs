//! The OpenAPI 3.1 document served at `GET /openapi.json`.
//!
//! It is generated from the code: every FC route is registered by one
//! `utoipa_axum::routes!` call in [`crate::http::routes::fc_routes`], which adds the
//! handler to the router and its `#[utoipa::path]` operation to the document at
//! once, so neither can have a route the other lacks. The structs in the
//! submodules only document FC's wire objects (the handlers work on
//! `serde_json::Value`); their field names are FC's (fc-api.md §3.3-3.11).
//!
//! Both API prefixes are listed in full (`/2016-08-15/...` and `/2021-04-06/...`),
//! rather than one set of paths under a server variable: wasm-fc serves both with
//! the same handlers, the routes outside them (`/_wasm-fc/...`) could not share
//! such a server, and a client or fuzzer reading the document then reaches every
//! route that is served. Operation ids of the 2021-04-06 copies end in `_2021`.

pub mod async_config;
pub mod common;
pub mod functions;
pub mod invoke;
pub mod layers;
pub mod logstores;
pub mod proxy;
pub mod services;
pub mod triggers;
pub mod versions;
pub mod watch;

use std::sync::OnceLock;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use utoipa::OpenApi as _;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};

use crate::http::routes::API_PREFIXES;

/// The name of FC's signature in `components.securitySchemes`.
pub const SECURITY_SCHEME: &str = "FCSignature";

/// The bearer token of bucket notifications (`/_wasm-fc/oss/notifications`).
pub const NOTIFICATION_SCHEME: &str = "NotificationToken";

const SIGNATURE_DESCRIPTION: &str = "FC's request signature (fc-api.md §2): \
`Authorization: FC <AccessKeyId>:<Signature>`, where Signature is \
base64(HMAC-SHA256(AccessKeySecret, StringToSign)) and StringToSign is \
`METHOD\\nContent-MD5\\nContent-Type\\nDate\\n` followed by every `x-fc-*` header \
as `lowercase-name:value\\n` (sorted by name) and the path (API routes: the path \
only, without the query; HTTP-trigger `/proxy/` routes: the decoded path, a \
newline and the sorted, decoded query parameters). `Date` is an RFC 1123 date \
within 15 minutes of the server's clock. When `Content-MD5` is sent, the body \
must match it.";

/// The parts of the document that are not routes: info, tags, security.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    info(
        title = "wasm-fc",
        description = "Alibaba Cloud Function Compute 2.0's REST API (2016-08-15 and 2021-04-06 paths), served by wasm-fc. Errors are FC's `{\"ErrorCode\", \"ErrorMessage\"}` with the `X-Fc-Request-Id` header.",
    ),
    modifiers(&Security),
    security(("FCSignature" = [])),
    components(schemas(common::ErrorBody)),
    tags(
        (name = "services"), (name = "functions"), (name = "triggers"),
        (name = "versions"), (name = "aliases"), (name = "layers"),
        (name = "async invoke configs"), (name = "invocation"), (name = "account"),
        (name = "HTTP triggers"),
        (name = "wasm-fc", description = "wasm-fc's own routes: function logs, code downloads and bucket notifications"),
    ),
)]
pub struct Base;

/// Adds the FC signature as an `apiKey` scheme.
#[derive(Debug)]
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SECURITY_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                SIGNATURE_DESCRIPTION,
            ))),
        );
        components.add_security_scheme(
            NOTIFICATION_SCHEME,
            SecurityScheme::Http(
                utoipa::openapi::security::HttpBuilder::new()
                    .scheme(utoipa::openapi::security::HttpAuthScheme::Bearer)
                    .description(Some(
                        "hex(HMAC-SHA256(AccessKeySecret, \"wasm-fc/oss-notifications\")); `wasm-fc run --format json` prints it as ossNotifications.bearerToken",
                    ))
                    .build(),
            ),
        );
    }
}

/// The HTTP-trigger proxy's documentation (its route is not an API route).
#[derive(Debug, utoipa::OpenApi)]
#[openapi(paths(proxy::http_trigger))]
struct Proxy;

/// The whole document, as JSON.
pub fn document() -> Value {
    let mut api = crate::http::routes::fc_routes().into_openapi();
    for prefix in API_PREFIXES {
        api = api.nest(prefix, Proxy::openapi());
    }
    api.info.version = env!("CARGO_PKG_VERSION").to_string();
    let mut doc = serde_json::to_value(&api).unwrap_or(Value::Null);
    finish(&mut doc);
    doc
}

/// The document's text, built once.
pub fn text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| document().to_string())
}

/// `GET /openapi.json`.
pub async fn serve() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        text(),
    )
        .into_response()
}

/// What every operation has in common, added after generation so that each
/// `#[utoipa::path]` lists only what is particular to it: the 400, 403 and 503
/// every signed request may get, the `X-Fc-Request-Id` header on every answer, and
/// unique operation ids for the 2021-04-06 copies.
fn finish(doc: &mut Value) {
    let error = |description: &str| {
        json!({
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        })
    };
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        let suffix = if path.starts_with("/2021-04-06/") {
            "_2021"
        } else {
            ""
        };
        for (method, operation) in item.iter_mut() {
            let Some(operation) = operation.as_object_mut() else {
                continue;
            };
            if path.contains("/proxy/") {
                let mut name = method.clone();
                name[..1].make_ascii_uppercase();
                operation.insert(
                    "operationId".into(),
                    json!(format!("HttpTrigger{name}{suffix}")),
                );
            } else if let Some(Value::String(id)) = operation.get_mut("operationId") {
                id.push_str(suffix);
            }
            let signed = operation.get("security").is_none();
            let Some(responses) = operation
                .get_mut("responses")
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            if signed {
                responses.entry("400").or_insert_with(|| {
                    error("InvalidArgument (a bad parameter, header or body; a malformed Authorization header), MissingRequiredHeader (no Date), EntityTooLarge")
                });
                responses.entry("403").or_insert_with(|| {
                    error("AccessDenied, InvalidAccessKeyID or SignatureNotMatch: the signature does not verify")
                });
                responses.entry("503").or_insert_with(|| {
                    error("ServiceUnavailable: the shared store (PostgreSQL) cannot be reached; nothing was changed, retry")
                });
            }
            for response in responses.values_mut() {
                if let Some(response) = response.as_object_mut() {
                    let headers = response.entry("headers").or_insert_with(|| json!({}));
                    if let Some(headers) = headers.as_object_mut() {
                        headers.insert(
                            "X-Fc-Request-Id".into(),
                            json!({"description": "The request's id", "schema": {"type": "string"}}),
                        );
                    }
                }
            }
        }
    }
}
