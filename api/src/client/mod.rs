//! A small blocking FC 2.0 client that signs like FC's SDKs. Every `wasm-fc`
//! command other than `run` is a client of the API through this.

pub mod deploy;
pub mod manifest;

use std::path::Path;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::control::auth::{SignedRequest, fc_authorization};
use crate::control::credentials::Credentials;

/// The API version the client speaks.
pub const API_PREFIX: &str = "/2016-08-15";

/// The FC 3.0 API's prefix (s.yaml 3.0.0 deploys through it).
pub const FC3_PREFIX: &str = "/2023-03-30";

/// Largest response body read (a function result is capped at 32 MB; code zips at 100 MB
/// are not fetched through this client).
const MAX_RESPONSE: u64 = 64 << 20;

/// Why a call failed before the server answered, or how it answered.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach {endpoint}: {message} (is `wasm-fc run` running there?)")]
    Unreachable { endpoint: String, message: String },
    #[error("{method} {path}: HTTP {status} {code}: {message}")]
    Api {
        method: String,
        path: String,
        status: u16,
        code: String,
        message: String,
    },
    #[error("bad request: {0}")]
    Request(String),
}

impl ClientError {
    /// The FC `ErrorCode` of an API error.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// An answer: status, headers and body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`Null` when empty or not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// The headers of a request signed as FC's SDKs sign it (fc-api.md §2): `date`,
/// `content-type: application/json`, `extra_headers`, and `authorization`.
pub fn signed_headers(
    credentials: &Credentials,
    method: &str,
    path_and_query: &str,
    extra_headers: &[(&str, &str)],
    at: SystemTime,
) -> Vec<(String, String)> {
    let date = httpdate::fmt_http_date(at);
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_and_query, None),
    };
    let mut headers: Vec<(String, String)> = vec![
        ("date".into(), date),
        ("content-type".into(), "application/json".into()),
    ];
    headers.extend(
        extra_headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let signed = SignedRequest {
        method,
        path,
        query,
        headers: headers.clone(),
    };
    let authorization = fc_authorization(
        &credentials.access_key_id,
        &credentials.access_key_secret,
        &signed,
    );
    headers.push(("authorization".into(), authorization));
    headers
}

/// A signing client for one endpoint.
#[derive(Clone)]
pub struct Client {
    endpoint: String,
    credentials: Credentials,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.credentials.access_key_id)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client of `endpoint` (e.g. `http://127.0.0.1:9000`) signing with `credentials`.
    pub fn new(endpoint: &str, credentials: Credentials) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // Sync invocations may run for FC's longest timeout (24 h is for async; sync
            // is bounded by the function's timeout, which is at most 86400 s).
            .timeout_global(Some(Duration::from_secs(86_400)))
            .timeout_connect(Some(Duration::from_secs(5)))
            .build()
            .into();
        Self {
            endpoint: endpoint.trim_end_matches('/').to_string(),
            credentials,
            agent,
        }
    }

    /// The credentials a local `wasm-fc run` over `data_dir` uses, if it saved them.
    pub fn local_credentials(data_dir: &Path) -> Option<Credentials> {
        let text = std::fs::read_to_string(data_dir.join("credentials.json")).ok()?;
        serde_json::from_str(&text).ok()
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn access_key_id(&self) -> &str {
        &self.credentials.access_key_id
    }

    /// Sends a signed request; non-2xx answers are [`ClientError::Api`].
    pub fn call(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Reply, ClientError> {
        let reply = self.send(method, path_and_query, headers, body)?;
        if (200..300).contains(&reply.status) {
            return Ok(reply);
        }
        let json = reply.json();
        let text = |key: &str| json[key].as_str().map(str::to_string);
        Err(ClientError::Api {
            method: method.to_string(),
            path: path_and_query.to_string(),
            status: reply.status,
            code: text("ErrorCode").unwrap_or_default(),
            message: text("ErrorMessage")
                .or_else(|| text("errorMessage"))
                .unwrap_or_else(|| String::from_utf8_lossy(&reply.body).into_owned()),
        })
    }

    /// A JSON call under [`API_PREFIX`], answering the JSON body.
    pub fn json(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, ClientError> {
        self.json_under(API_PREFIX, method, path, body)
    }

    /// A JSON call under `prefix` (an API version's path prefix).
    pub fn json_under(
        &self,
        prefix: &str,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, ClientError> {
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        Ok(self
            .call(method, &format!("{prefix}{path}"), &[], &bytes)?
            .json())
    }

    /// Sends a signed request and returns whatever the server answered.
    pub fn send(
        &self,
        method: &str,
        path_and_query: &str,
        extra_headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Reply, ClientError> {
        let headers = signed_headers(
            &self.credentials,
            method,
            path_and_query,
            extra_headers,
            SystemTime::now(),
        );
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("{}{path_and_query}", self.endpoint));
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        let request = request
            .body(body.to_vec())
            .map_err(|e| ClientError::Request(e.to_string()))?;
        let unreachable = |e: ureq::Error| ClientError::Unreachable {
            endpoint: self.endpoint.clone(),
            message: e.to_string(),
        };
        let mut response = self.agent.run(request).map_err(unreachable)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE)
            .read_to_vec()
            .map_err(unreachable)?;
        Ok(Reply {
            status,
            headers,
            body,
        })
    }
}
