//! Serverless Devs `s.yaml`, edition 1.0.0, with the `fc` component:
//!
//! ```yaml
//! edition: 1.0.0
//! vars: { region: cn-hangzhou }
//! services:
//!   app:                       # a project: one service + one function + its triggers
//!     component: fc
//!     props:
//!       region: ${vars.region}
//!       service: { name: demo, internetAccess: false }
//!       function: { name: hello, runtime: custom, handler: index.handler, codeUri: ./code }
//!       triggers: [{ name: t, type: timer, config: { cronExpression: '@every 1m', enable: true } }]
//! ```
//!
//! `${env.X}` (or `${env(X)}`) and `${vars.a.b}` are substituted; a whole-value
//! `${vars.x}` keeps the variable's type. Other magic variables (`${this...}`,
//! `${services...}`) are refused with their location.

use serde_json::{Map, Value, json};

use super::cursor::Cursor;
use super::yaml::Document;
use super::{
    EnvLookup, FUNCTION_FIELDS, FieldType, Flavor, FunctionSpec, Manifest, ManifestError,
    ServiceSpec, TriggerSpec, code_source, extension, location, typed,
};

const SERVICE_FIELDS: &[(&str, FieldType)] = &[
    ("description", FieldType::Text),
    ("internetAccess", FieldType::Bool),
    ("role", FieldType::Text),
    ("tracingConfig", FieldType::Map),
];

pub(super) fn read(root: Cursor<'_>, env: EnvLookup<'_>) -> Result<Manifest, ManifestError> {
    let edition = root.required("edition")?;
    match edition.as_text()?.as_str() {
        "1.0.0" => {}
        "3.0.0" => return super::fc3::read(root, env),
        other => {
            return Err(edition.error(format!(
                "edition {other} is not an s.yaml edition wasm-fc reads (1.0.0, 3.0.0)"
            )));
        }
    }
    let mut document = root.document.clone();
    interpolate_document(&mut document, root.file, env)?;
    let root = Cursor {
        document: &document,
        value: &document.root,
        ..root
    };
    let mut warnings = Vec::new();
    root.unknown_keys(
        &[
            "edition", "name", "access", "vars", "services", "flow", "actions",
        ],
        &mut warnings,
    );
    let mut services: Vec<ServiceSpec> = Vec::new();
    for (_, project) in root.required("services")?.entries()? {
        project.unknown_keys(&["component", "props", "actions", "access"], &mut warnings);
        let component = project.required("component")?;
        let component_name = component.as_str()?;
        match component_name {
            "fc" | "devsapp/fc" => {}
            c if c.starts_with("fc@") || c.starts_with("devsapp/fc@") => {}
            "fc3" | "devsapp/fc3" => {
                return Err(component.error(
                    "the fc3 component is FC 3.0 and belongs in edition 3.0.0; edition 1.0.0 uses `component: fc`",
                ));
            }
            other => {
                warnings.push(format!(
                    "{}: component {other} is not FC; skipped",
                    component.location()
                ));
                continue;
            }
        }
        if project.get("actions").is_some() {
            warnings.push(format!(
                "{}: actions are not run by wasm-fc; use `x-wasm-fc: {{build: ...}}` on the function",
                project.location()
            ));
        }
        let props = project.required("props")?;
        props.unknown_keys(
            &["region", "service", "function", "triggers", "customDomains"],
            &mut warnings,
        );
        let service = read_service(&props.required("service")?, &mut warnings)?;
        let index = match services.iter().position(|s| s.name == service.name) {
            Some(i) => i,
            None => {
                services.push(service);
                services.len() - 1
            }
        };
        if let Some(function) = props.get("function") {
            let mut spec = read_function(&function, &mut warnings)?;
            if let Some(triggers) = props.get("triggers") {
                for trigger in triggers.items()? {
                    spec.triggers.push(read_trigger(&trigger, &mut warnings)?);
                }
            }
            services[index].functions.push(spec);
        } else if props.get("triggers").is_some() {
            return Err(props.error("triggers need a function in the same props"));
        }
    }
    Ok(Manifest {
        flavor: Flavor::ServerlessDevs,
        services,
        warnings,
    })
}

fn copy_fields(
    from: &Cursor<'_>,
    fields: &[(&str, FieldType)],
    body: &mut Map<String, Value>,
) -> Result<(), ManifestError> {
    for (name, kind) in fields {
        if let Some(field) = from.get(name) {
            body.insert((*name).to_string(), typed(&field, *kind)?);
        }
    }
    Ok(())
}

fn read_service(
    service: &Cursor<'_>,
    warnings: &mut Vec<String>,
) -> Result<ServiceSpec, ManifestError> {
    let known: Vec<&str> = SERVICE_FIELDS
        .iter()
        .map(|f| f.0)
        .chain(["name", "nasConfig", "vpcConfig", "logConfig"])
        .collect();
    service.unknown_keys(&known, warnings);
    let name = service.required("name")?.as_str()?.to_string();
    let mut body = Map::new();
    body.insert("serviceName".into(), Value::String(name.clone()));
    copy_fields(service, SERVICE_FIELDS, &mut body)?;
    if let Some(vpc) = service.get("vpcConfig") {
        warnings.push(format!(
            "{}: a local platform has no VPC; vpcConfig ignored",
            vpc.location()
        ));
    }
    if let Some(nas) = service.get("nasConfig") {
        body.insert("nasConfig".into(), nas_config(&nas)?);
    }
    if let Some(log) = service.get("logConfig") {
        body.insert("logConfig".into(), log_config(&log)?);
    }
    Ok(ServiceSpec {
        name,
        body: Value::Object(body),
        functions: Vec::new(),
        at: service.location(),
        fc3: false,
    })
}

/// The project and logstore `logConfig: auto` names, as Serverless Devs
/// creates one for it (the platform creates a missing logstore).
pub const AUTO_LOG_PROJECT: &str = "serverless-logs";
pub const AUTO_LOG_STORE: &str = "default-logs";

/// `logConfig`: FC's map as it is, or `auto` (a project and logstore the
/// platform creates on first use, docs/logstores.md).
pub(super) fn log_config(log: &Cursor<'_>) -> Result<Value, ManifestError> {
    match log.value.as_str() {
        Some("auto" | "Auto") => Ok(json!({
            "project": AUTO_LOG_PROJECT,
            "logstore": AUTO_LOG_STORE,
        })),
        _ => typed(log, FieldType::Map),
    }
}

/// s.yaml's NAS form `{serverAddr, nasDir, fcDir}` as FC's `{serverAddr: "host:/dir", mountDir}`.
pub(super) fn nas_config(nas: &Cursor<'_>) -> Result<Value, ManifestError> {
    if nas.value.as_str() == Some("auto") || nas.value.as_str() == Some("Auto") {
        return Err(nas.error(
            "nasConfig: auto creates cloud NAS; give mountPoints with serverAddr, nasDir and fcDir",
        ));
    }
    let mut points = Vec::new();
    if let Some(list) = nas.get("mountPoints") {
        for point in list.items()? {
            let server = point.required("serverAddr")?.as_str()?;
            let nas_dir = point
                .get("nasDir")
                .map(|d| d.as_str().map(str::to_string))
                .transpose()?;
            let server_addr = match nas_dir {
                Some(dir) if !server.contains(":/") => format!("{server}:{dir}"),
                _ => server.to_string(),
            };
            let mount_dir = match point.get("fcDir").or_else(|| point.get("mountDir")) {
                Some(dir) => dir.as_str()?.to_string(),
                None => {
                    return Err(
                        point.error("a mount point needs fcDir (where the function sees it)")
                    );
                }
            };
            points.push(json!({ "serverAddr": server_addr, "mountDir": mount_dir }));
        }
    }
    let id = |key: &str| -> Result<i64, ManifestError> {
        nas.get(key)
            .map(|c| c.as_int())
            .transpose()
            .map(|v| v.unwrap_or(-1))
    };
    Ok(json!({ "userId": id("userId")?, "groupId": id("groupId")?, "mountPoints": points }))
}

fn read_function(
    function: &Cursor<'_>,
    warnings: &mut Vec<String>,
) -> Result<FunctionSpec, ManifestError> {
    let known: Vec<&str> = FUNCTION_FIELDS
        .iter()
        .map(|f| f.0)
        .chain([
            "name",
            "codeUri",
            super::EXTENSION_KEY,
            "asyncConfiguration",
        ])
        .collect();
    function.unknown_keys(&known, warnings);
    let name = function.required("name")?.as_str()?.to_string();
    let mut body = Map::new();
    body.insert("functionName".into(), Value::String(name.clone()));
    copy_fields(function, FUNCTION_FIELDS, &mut body)?;
    if function.get("asyncConfiguration").is_some() {
        warnings.push(format!(
            "{}: asyncConfiguration is not deployed from s.yaml yet; use PutFunctionAsyncInvokeConfig",
            function.location()
        ));
    }
    let build = extension(function, warnings)?;
    let code_uri = function.required("codeUri")?;
    Ok(FunctionSpec {
        name,
        body: Value::Object(body),
        code: code_source(&code_uri, build.is_some())?,
        code_at: code_uri.location(),
        build,
        triggers: Vec::new(),
        at: function.location(),
    })
}

fn read_trigger(
    trigger: &Cursor<'_>,
    warnings: &mut Vec<String>,
) -> Result<TriggerSpec, ManifestError> {
    trigger.unknown_keys(
        &[
            "name",
            "type",
            "qualifier",
            "role",
            "sourceArn",
            "config",
            "description",
        ],
        warnings,
    );
    let name = trigger.required("name")?.as_str()?.to_string();
    let kind = trigger.required("type")?.as_str()?.to_string();
    let config = trigger.required("config")?;
    config.entries()?;
    let mut body = json!({
        "triggerName": name, "triggerType": kind, "triggerConfig": config.value.clone(),
    });
    // FC's timer payload is a string; YAML reads `payload: 42` as a number.
    if kind == "timer"
        && let Some(payload) = config.get("payload")
    {
        body["triggerConfig"]["payload"] = Value::String(payload.as_text()?);
    }
    for (key, api) in [
        ("qualifier", "qualifier"),
        ("role", "invocationRole"),
        ("sourceArn", "sourceArn"),
        ("description", "description"),
    ] {
        if let Some(value) = trigger.get(key) {
            body[api] = Value::String(value.as_text()?);
        }
    }
    // Serverless Devs' fc component names an OSS trigger's bucket in
    // `config.bucketName`; FC's API wants it in `sourceArn`.
    if kind == "oss"
        && body.get("sourceArn").is_none()
        && let Some(bucket) = config.get("bucketName")
    {
        body["sourceArn"] = Value::String(format!("acs:oss:local:local:{}", bucket.as_text()?));
    }
    Ok(TriggerSpec {
        name,
        body,
        at: trigger.location(),
    })
}

/// Substitutes `${env.X}`/`${env(X)}` and `${vars.x}` in every string, `vars` first.
pub(super) fn interpolate_document(
    document: &mut Document,
    file: &std::path::Path,
    env: EnvLookup<'_>,
) -> Result<(), ManifestError> {
    let positions = document.clone();
    let error = |path: &str, message: String| {
        ManifestError::invalid(location(&positions, file, path), message)
    };
    let empty = Value::Null;
    let mut vars = document.root.get("vars").cloned().unwrap_or(Value::Null);
    interpolate(&mut vars, "vars", &|expr, path| {
        resolve(expr, env, &empty, path, &error)
    })?;
    if let Some(object) = document.root.as_object_mut() {
        for (key, value) in object.iter_mut().filter(|(k, _)| *k != "vars") {
            interpolate(value, key, &|expr, path| {
                resolve(expr, env, &vars, path, &error)
            })?;
        }
    }
    Ok(())
}

type Resolver<'a> = &'a dyn Fn(&str, &str) -> Result<Value, ManifestError>;

fn interpolate(value: &mut Value, path: &str, resolver: Resolver<'_>) -> Result<(), ManifestError> {
    match value {
        Value::String(text) if text.contains("${") => {
            let trimmed = text.trim();
            if trimmed.starts_with("${")
                && trimmed.ends_with('}')
                && trimmed.matches("${").count() == 1
            {
                *value = resolver(&trimmed[2..trimmed.len() - 1], path)?;
                return Ok(());
            }
            let mut out = String::new();
            let mut rest = text.as_str();
            while let Some(start) = rest.find("${") {
                out.push_str(&rest[..start]);
                let Some(end) = rest[start..].find('}') else {
                    resolver("", path)?; // an empty expression is always an error
                    break;
                };
                match resolver(&rest[start + 2..start + end], path)? {
                    Value::String(s) => out.push_str(&s),
                    other => out.push_str(&other.to_string()),
                }
                rest = &rest[start + end + 1..];
            }
            out.push_str(rest);
            *text = out;
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                interpolate(item, &format!("{path}[{i}]"), resolver)?;
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                interpolate(item, &format!("{path}.{key}"), resolver)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn resolve(
    expr: &str,
    env: EnvLookup<'_>,
    vars: &Value,
    path: &str,
    error: &dyn Fn(&str, String) -> ManifestError,
) -> Result<Value, ManifestError> {
    let expr = expr.trim();
    let env_name = expr
        .strip_prefix("env.")
        .or_else(|| expr.strip_prefix("env(").and_then(|e| e.strip_suffix(')')))
        .map(|n| n.trim().trim_matches(['\'', '"']));
    if let Some(name) = env_name {
        return env(name).map(Value::String).ok_or_else(|| {
            error(
                path,
                format!("${{{expr}}}: the environment variable {name} is not set"),
            )
        });
    }
    if let Some(var_path) = expr.strip_prefix("vars.") {
        let mut value = vars;
        for part in var_path.split('.') {
            value = value.get(part).filter(|v| !v.is_null()).ok_or_else(|| {
                error(path, format!("${{{expr}}}: no such variable under `vars`"))
            })?;
        }
        return Ok(value.clone());
    }
    if expr.is_empty() {
        return Err(error(path, "an unclosed or empty ${...}".into()));
    }
    Err(error(
        path,
        format!("${{{expr}}}: wasm-fc substitutes only ${{env.NAME}} and ${{vars.name}}"),
    ))
}
