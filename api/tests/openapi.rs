//! `GET /openapi.json`: served without auth, a well-formed OpenAPI 3.1 document,
//! and the same set of routes as the router (every documented route answers;
//! no route is registered outside the one list that documents it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use serde_json::Value;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The document as served, fetched without a signature.
fn served_document(server: &common::Server) -> Value {
    let reply = common::raw(server, "GET", "/openapi.json", &[], b"");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/json"));
    reply.json()
}

/// Every (METHOD, path template) of the document.
fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                out.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// A path template with sample values for its parameters.
fn filled(template: &str) -> String {
    let mut path = template.to_string();
    for (name, value) in [
        ("{serviceName}", "svc"),
        ("{functionName}", "fn"),
        ("{triggerName}", "t"),
        ("{versionId}", "1"),
        ("{aliasName}", "prod"),
        ("{layerName}", "lib"),
        ("{version}", "1"),
        (
            "{arn}",
            "acs%3Afc%3Alocal%3A1%3Alayers%2Flib%2Fversions%2F1",
        ),
        ("{file}", "00.zip"),
        ("{path}", "x"),
        ("{projectName}", "proj"),
        ("{logstoreName}", "ls"),
    ] {
        path = path.replace(name, value);
    }
    assert!(
        !path.contains('{'),
        "no sample value for a parameter of {template}"
    );
    path
}

fn is_path_not_supported(reply: &common::Reply) -> bool {
    serde_json::from_slice::<Value>(&reply.body)
        .is_ok_and(|body| body["ErrorCode"] == "PathNotSupported")
}

#[test]
fn every_documented_route_is_served_and_unknown_ones_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path());
    let doc = served_document(&server);
    let operations = operations(&doc);
    assert!(operations.len() > 80, "{} operations", operations.len());
    for (method, template) in &operations {
        // HEAD answers carry no body: ask with GET what HEAD would be routed to.
        let method = if method == "HEAD" { "GET" } else { method };
        let body: &[u8] = if matches!(method, "POST" | "PUT") {
            b"{}"
        } else {
            b""
        };
        let reply = common::call(&server, method, &filled(template), &[], body);
        assert!(
            !is_path_not_supported(&reply),
            "{method} {template} is documented but not routed: {} {}",
            reply.status,
            reply.text()
        );
    }
    // The check can fail: what is not routed gets FC's PathNotSupported.
    for (method, path) in [
        ("GET", "/2016-08-15/nonsense"),
        ("PATCH", "/2016-08-15/services"),
        ("POST", "/2021-04-06/services/svc/versions/1"),
        ("GET", "/2016-08-15/services/svc/functions/fn/invocations"),
    ] {
        let reply = common::call(&server, method, path, &[], b"");
        assert_eq!(reply.status, 400, "{method} {path}: {}", reply.text());
        assert!(
            is_path_not_supported(&reply),
            "{method} {path}: {}",
            reply.text()
        );
    }
}

#[test]
fn every_method_the_router_takes_on_a_documented_path_is_documented() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path());
    let doc = served_document(&server);
    let documented: HashSet<(String, String)> = operations(&doc).into_iter().collect();
    for path in doc["paths"].as_object().unwrap().keys() {
        if path.contains("/proxy/") {
            continue; // any method: the trigger's config decides
        }
        for method in ["GET", "PUT", "POST", "DELETE", "PATCH"] {
            if documented.contains(&(method.to_string(), path.clone())) {
                continue;
            }
            let reply = common::call(&server, method, &filled(path), &[], b"");
            assert!(
                is_path_not_supported(&reply),
                "{method} {path} is routed but not documented: {} {}",
                reply.status,
                reply.text()
            );
        }
    }
}

/// Every `$ref` in `value`.
fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                out.push(target);
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn the_document_is_well_formed_openapi_3_1() {
    let doc = wasm_fc_api::http::openapi::document();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let scheme = &doc["components"]["securitySchemes"]["FCSignature"];
    assert_eq!(scheme["type"], "apiKey");
    assert_eq!(scheme["in"], "header");
    assert_eq!(scheme["name"], "Authorization");
    assert!(
        scheme["description"]
            .as_str()
            .unwrap()
            .contains("FC <AccessKeyId>:<Signature>")
    );
    let mut ids = HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        assert!(path.starts_with('/'), "{path}");
        let templated: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let id = op["operationId"].as_str().expect("an operationId");
            assert!(ids.insert(id.to_string()), "operationId {id} is not unique");
            let in_path: BTreeSet<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .map(|p| {
                    assert_eq!(p["required"], true, "{method} {path}");
                    p["name"].as_str().unwrap()
                })
                .collect();
            assert_eq!(templated, in_path, "{method} {path}: path parameters");
            let responses = op["responses"].as_object().expect("responses");
            assert!(!responses.is_empty(), "{method} {path}");
            for (status, response) in responses {
                assert!(
                    status == "default"
                        || status.parse::<u16>().is_ok_and(|s| (100..600).contains(&s)),
                    "{method} {path}: status {status}"
                );
                assert!(
                    response["description"].is_string(),
                    "{method} {path} {status}"
                );
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{method} {path} {status}: FC's error shape"
                    );
                }
            }
        }
    }
    let mut targets = Vec::new();
    refs(&doc, &mut targets);
    assert!(!targets.is_empty());
    for target in targets {
        let pointer = target.strip_prefix('#').expect("a local $ref");
        assert!(
            doc.pointer(pointer).is_some(),
            "$ref {target} resolves to nothing"
        );
    }
    let error = &doc["components"]["schemas"]["ErrorBody"];
    assert_eq!(
        error["required"],
        serde_json::json!(["ErrorCode", "ErrorMessage"])
    );
}

#[test]
fn the_document_covers_fc_operations_under_both_prefixes() {
    let doc = wasm_fc_api::http::openapi::document();
    let ops = operations(&doc);
    for prefix in ["/2016-08-15", "/2021-04-06"] {
        for (method, path) in [
            ("GET", "/account-settings"),
            ("POST", "/services"),
            ("GET", "/services/{serviceName}"),
            ("POST", "/services/{serviceName}/functions"),
            (
                "GET",
                "/services/{serviceName}/functions/{functionName}/code",
            ),
            (
                "POST",
                "/services/{serviceName}/functions/{functionName}/invocations",
            ),
            (
                "PUT",
                "/services/{serviceName}/functions/{functionName}/triggers/{triggerName}",
            ),
            ("DELETE", "/services/{serviceName}/versions/{versionId}"),
            ("PUT", "/services/{serviceName}/aliases/{aliasName}"),
            ("POST", "/layers/{layerName}/versions"),
            ("GET", "/layerarn/{arn}"),
            (
                "PUT",
                "/services/{serviceName}/functions/{functionName}/async-invoke-config",
            ),
            ("GET", "/proxy/{serviceName}/{functionName}/{path}"),
        ] {
            assert!(
                ops.contains(&(method.to_string(), format!("{prefix}{path}"))),
                "{method} {prefix}{path} is not documented"
            );
        }
    }
    let invoke = &doc["paths"]["/2016-08-15/services/{serviceName}/functions/{functionName}/invocations"]
        ["post"];
    let headers: Vec<&str> = invoke["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["in"] == "header")
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(headers, ["x-fc-invocation-type", "x-fc-log-type"]);
    assert!(invoke["responses"]["202"].is_object());
    assert!(invoke["responses"]["200"]["headers"]["X-Fc-Error-Type"].is_object());
    assert_eq!(invoke["operationId"], "InvokeFunction");
    assert_eq!(
        doc["paths"]["/2021-04-06/services/{serviceName}/functions/{functionName}/invocations"]["post"]
            ["operationId"],
        "InvokeFunction_2021"
    );
}

/// Route registrations outside the one documented list, and why each is allowed.
const UNDOCUMENTED_REGISTRATIONS: &[(&str, &str)] = &[
    // Operations endpoints, not FC routes.
    ("http/server.rs", ".route(\"/healthz\""),
    ("http/server.rs", ".route(\"/readyz\""),
    ("http/server.rs", ".route(\"/metrics\""),
    ("http/server.rs", ".route(\"/openapi.json\""),
    ("http/server.rs", ".route(\"/_wasm-fc/stats\""),
    // The cluster view (issue 17), an operations endpoint like /_wasm-fc/stats.
    ("http/server.rs", ".route(\"/_wasm-fc/nodes\""),
    // The API router and the proxy router, joined.
    ("http/server.rs", ".merge(super::routes::api_router("),
    // The FC 3.0 API (issue 21): one catch-all under /2023-03-30 that maps
    // FC 3.0 calls onto the documented FC 2.0 routes; its operations are listed
    // in docs/fc3.md and checked against the SDK's own list by
    // tests/python/test_sdk_operations.py, not in /openapi.json.
    ("http/server.rs", ".merge(super::fc3::router("),
    (
        "http/fc3/mod.rs",
        ".route(&format!(\"{PREFIX}/{{*rest}}\"),any(entry))",
    ),
    // FC 3.0's per-trigger URLs: any method, like the FC 2.0 proxy.
    (
        "http/proxy.rs",
        ".route(&format!(\"{}/proxy/{{*target}}\",super::fc3::PREFIX)",
    ),
    ("http/server.rs", ".merge(super::proxy::proxy_router("),
    // The HTTP-trigger proxy: any method, any path (documented by hand in
    // api/src/http/openapi/proxy.rs; checked below).
    (
        "http/proxy.rs",
        ".route(&format!(\"{prefix}/proxy/{{*target}}\")",
    ),
    // The web console (issue 22): its page, assets and session, documented in
    // docs/console.md; its /console/api/… forwards to the documented routes.
    ("http/server.rs", ".merge(super::console::router("),
    ("http/console/mod.rs", ".route(\"/console\","),
    ("http/console/mod.rs", ".route(\"/console/\","),
    ("http/console/mod.rs", ".route(\"/console/assets/{name}\","),
    ("http/console/mod.rs", ".route(\"/console/session\","),
    ("http/console/mod.rs", ".route(\"/console/api/{*rest}\","),
    // The prefixes of the documented list (OpenApiRouter::nest documents them).
    ("http/routes/mod.rs", ".nest(prefix, prefix_routes())"),
    // Document only: the proxy's documentation under each prefix.
    ("http/openapi/mod.rs", ".nest(prefix, Proxy::openapi())"),
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_route_bypasses_the_documented_registration() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut seen = HashSet::new();
    for file in files {
        let relative = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&file).unwrap();
        // rustfmt may break a call over lines; compare without whitespace.
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        for call in [
            ".route(",
            ".route_service(",
            ".nest(",
            ".nest_service(",
            ".merge(",
        ] {
            for (at, _) in compact.match_indices(call) {
                let allowed = UNDOCUMENTED_REGISTRATIONS.iter().find(|(f, prefix)| {
                    *f == relative
                        && compact[at..].starts_with(
                            &prefix
                                .chars()
                                .filter(|c| !c.is_whitespace())
                                .collect::<String>(),
                        )
                });
                let context = &compact[at..(at + 60).min(compact.len())];
                let Some(entry) = allowed else {
                    panic!(
                        "{relative}: `{context}` registers a route outside \
                         routes::fc_routes (the list that documents it); use routes!"
                    );
                };
                seen.insert(*entry);
            }
        }
    }
    for entry in UNDOCUMENTED_REGISTRATIONS {
        assert!(seen.contains(entry), "stale allowance {entry:?}");
    }
    // The proxy route is documented under both prefixes.
    let doc = wasm_fc_api::http::openapi::document();
    for prefix in ["/2016-08-15", "/2021-04-06"] {
        assert!(
            doc["paths"][format!("{prefix}/proxy/{{serviceName}}/{{functionName}}/{{path}}")]
                .is_object()
        );
    }
}

#[test]
fn operations_endpoints_are_served_but_not_fc_routes() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path());
    let doc = served_document(&server);
    for path in ["/healthz", "/readyz", "/metrics", "/_wasm-fc/stats"] {
        let reply = common::raw(&server, "GET", path, &[], b"");
        assert!(!is_path_not_supported(&reply), "{path}");
        assert!(
            doc["paths"].get(path).is_none(),
            "{path} is not an FC route"
        );
    }
}

/// What schemathesis found: fields stored as given whatever their type were
/// echoed back against the document (`tracingConfig.params: "x"`). Each is now
/// FC's 400 `InvalidArgument`, and nothing is stored.
#[test]
fn mistyped_fields_are_refused_not_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path());
    let created = common::call(
        &server,
        "POST",
        "/2016-08-15/services",
        &[],
        br#"{"serviceName":"svc"}"#,
    );
    assert_eq!(created.status, 200, "{}", created.text());
    for body in [
        r#"{"tracingConfig":{"type":"Jaeger","params":"x"}}"#,
        r#"{"tracingConfig":{"type":3}}"#,
        r#"{"vpcConfig":"x"}"#,
        r#"{"vpcConfig":{"vSwitchIds":"x"}}"#,
        r#"{"vpcConfig":{"vpcId":5}}"#,
    ] {
        let reply = common::call(
            &server,
            "PUT",
            "/2016-08-15/services/svc",
            &[],
            body.as_bytes(),
        );
        assert_eq!(reply.status, 400, "{body}: {}", reply.text());
        assert_eq!(reply.json()["ErrorCode"], "InvalidArgument", "{body}");
    }
    let service = common::call(&server, "GET", "/2016-08-15/services/svc", &[], b"").json();
    assert_eq!(
        service["tracingConfig"],
        serde_json::json!({"type": null, "params": null})
    );
    assert_eq!(
        service["vpcConfig"],
        serde_json::json!({"vpcId": "", "vSwitchIds": [], "securityGroupId": "", "role": ""})
    );
    let ok = common::call(
        &server,
        "PUT",
        "/2016-08-15/services/svc",
        &[],
        br#"{"tracingConfig":{"type":"Jaeger","params":{"endpoint":"http://j"}},"vpcConfig":{"vpcId":"v","vSwitchIds":["s"]}}"#,
    );
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.json()["tracingConfig"]["params"]["endpoint"], "http://j");
    assert_eq!(
        ok.json()["vpcConfig"]["vSwitchIds"],
        serde_json::json!(["s"])
    );
}
