//! The HTTP-trigger proxy (fc-api.md §3.8), documented here because its route
//! (`{prefix}/proxy/{*target}`, crate::http::proxy) takes any method and
//! any path below the function, which OpenAPI can only approximate with one
//! `{path}` segment. The answer is the function's own.

/// A request to a function's HTTP trigger. `authType: anonymous` triggers need
/// no signature; `function` triggers need FC's signature (the proxy form, which
/// signs the query too) or a signed URL.
#[utoipa::path(
    method(get, post, put, delete, head, patch, options),
    path = "/proxy/{serviceName}/{functionName}/{path}",
    tag = "HTTP triggers",
    params(
        ("serviceName" = String, Path, description = "`service` or `service.qualifier`"),
        ("functionName" = String, Path),
        ("path" = String, Path, description = "What the function sees as its path, after `/`"),
    ),
    request_body(content = String, content_type = "*/*", description = "Passed to the function as is"),
    responses(
        (status = "default", description = "The function's answer, or FC's error body (404 ServiceNotFound/FunctionNotFound/TriggerNotFound, 405 MethodNotAllowed, 502 FunctionNotHttpHandler)"),
    ),
    security((), ("FCSignature" = [])),
)]
pub fn http_trigger() {}
