//! FC's HTTP handler shape, `handler(request, response, context)`, on top of
//! `wasi:http/incoming-handler`. Used by [`crate::export_http_handler!`].

use crate::__wasip2::http::types::{
    Fields, IncomingBody, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam,
};
use crate::{Context, log};

/// An incoming HTTP request, as FC's runtimes present it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path after the function segment of the trigger URL, e.g. `/users/1`.
    pub path: String,
    /// The path and raw query string as received.
    pub url: String,
    /// Decoded query parameters in order; a repeated key appears several times.
    pub queries: Vec<(String, String)>,
    /// Headers with lower-case names, in order.
    pub headers: Vec<(String, String)>,
    /// The whole request body.
    pub body: Vec<u8>,
    /// The caller's IP address (from wasm-fc's `x-fc-client-ip` header).
    pub client_ip: String,
}

impl Request {
    /// The first value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of a query parameter.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.queries
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The response being built; sent when the handler returns.
#[derive(Debug, Clone)]
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Default for Response {
    fn default() -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
}

impl Response {
    /// Sets the status code (default 200).
    pub fn set_status_code(&mut self, status: u16) {
        self.status = status;
    }
    /// Sets a header, replacing any earlier value of the same name.
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        self.delete_header(name);
        self.headers.push((name.to_ascii_lowercase(), value.into()));
    }
    /// Removes a header.
    pub fn delete_header(&mut self, name: &str) {
        let name = name.to_ascii_lowercase();
        self.headers.retain(|(k, _)| *k != name);
    }
    /// Sets the body. Calling it again replaces the body.
    pub fn send(&mut self, body: impl Into<Vec<u8>>) {
        self.body = body.into();
    }
}

/// Reads the request, runs the handler, writes the response.
#[doc(hidden)]
pub fn serve(
    request: IncomingRequest,
    out: ResponseOutparam,
    handler: fn(Request, &mut Response, &Context),
) {
    let headers: Vec<(String, String)> = request
        .headers()
        .entries()
        .into_iter()
        .map(|(k, v)| {
            (
                k.to_ascii_lowercase(),
                String::from_utf8_lossy(&v).into_owned(),
            )
        })
        .collect();
    let ctx = Context::from_headers(|name| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    });
    log::set_request_id(&ctx.request_id);
    let url = request.path_with_query().unwrap_or_else(|| "/".to_string());
    let (path, query) = url.split_once('?').unwrap_or((url.as_str(), ""));
    let req = Request {
        method: method_name(&request.method()),
        path: percent_decode(path),
        queries: parse_query(query),
        client_ip: headers
            .iter()
            .find(|(k, _)| k == "x-fc-client-ip")
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
        body: read_body(request.consume().ok()),
        url: url.clone(),
        headers,
    };
    let mut resp = Response::default();
    handler(req, &mut resp, &ctx);
    write_response(out, resp);
}

fn method_name(method: &Method) -> String {
    match method {
        Method::Get => "GET".into(),
        Method::Head => "HEAD".into(),
        Method::Post => "POST".into(),
        Method::Put => "PUT".into(),
        Method::Delete => "DELETE".into(),
        Method::Connect => "CONNECT".into(),
        Method::Options => "OPTIONS".into(),
        Method::Trace => "TRACE".into(),
        Method::Patch => "PATCH".into(),
        Method::Other(other) => other.clone(),
    }
}

fn read_body(body: Option<IncomingBody>) -> Vec<u8> {
    let mut bytes = Vec::new();
    let Some(body) = body else { return bytes };
    if let Ok(stream) = body.stream() {
        // Closed is the end of the body; a failed read ends it too.
        while let Ok(chunk) = stream.blocking_read(64 * 1024) {
            bytes.extend_from_slice(&chunk);
        }
    }
    bytes
}

fn write_response(out: ResponseOutparam, resp: Response) {
    let list: Vec<(String, Vec<u8>)> = resp
        .headers
        .into_iter()
        .map(|(k, v)| (k, v.into_bytes()))
        .collect();
    // Headers the host refuses (e.g. forbidden names) make the whole list invalid;
    // fall back to no headers rather than failing the response.
    let fields = Fields::from_list(&list).unwrap_or_else(|_| Fields::new());
    let response = OutgoingResponse::new(fields);
    let _ = response.set_status_code(resp.status);
    let Ok(body) = response.body() else { return };
    ResponseOutparam::set(out, Ok(response));
    if let Ok(stream) = body.write() {
        // blocking-write-and-flush accepts at most 4096 bytes per call.
        for chunk in resp.body.chunks(4096) {
            if stream.blocking_write_and_flush(chunk).is_err() {
                break;
            }
        }
    }
    let _ = OutgoingBody::finish(body, None);
}

fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (
                percent_decode(&k.replace('+', " ")),
                percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
