//! funcraft `template.yml` (`Transform: Aliyun::Serverless-2018-04-03`):
//!
//! ```yaml
//! ROSTemplateFormatVersion: '2015-09-01'
//! Transform: 'Aliyun::Serverless-2018-04-03'
//! Resources:
//!   demo:                                  # a service
//!     Type: 'Aliyun::Serverless::Service'
//!     Properties: { Description: ..., InternetAccess: false }
//!     hello:                               # its functions
//!       Type: 'Aliyun::Serverless::Function'
//!       Properties: { Handler: index.handler, Runtime: custom, CodeUri: ./code }
//!       Events:
//!         every-minute: { Type: Timer, Properties: { CronExpression: '@every 1m', Enable: true } }
//!         web: { Type: HTTP, Properties: { AuthType: ANONYMOUS, Methods: [GET, POST] } }
//! ```
//!
//! Events of type Timer and HTTP map to FC's triggers; OSS, Log, MNSTopic, TableStore
//! and CDN events map their properties key for key (PascalCase to camelCase).

use serde_json::{Map, Value, json};

use super::cursor::Cursor;
use super::{
    FUNCTION_FIELDS, FieldType, Flavor, FunctionSpec, Manifest, ManifestError, ServiceSpec,
    TriggerSpec, code_source, extension, typed,
};

const SERVICE_TYPE: &str = "Aliyun::Serverless::Service";
const FUNCTION_TYPE: &str = "Aliyun::Serverless::Function";

/// `MemorySize` → `memorySize`, `CAPort` → `caPort`.
fn camel(pascal: &str) -> String {
    let upper = pascal
        .chars()
        .take_while(|c| c.is_ascii_uppercase())
        .count();
    let keep = if upper > 1 && upper < pascal.len() {
        upper - 1
    } else {
        upper
    };
    pascal
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i < keep.max(1) {
                c.to_ascii_lowercase()
            } else {
                c
            }
        })
        .collect()
}

/// FC's field name `memorySize` → funcraft's `MemorySize`.
fn pascal(camel: &str) -> String {
    let mut chars = camel.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// Every key of a mapping, recursively, in camelCase.
fn camel_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (camel(k), camel_keys(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(camel_keys).collect()),
        other => other.clone(),
    }
}

pub(super) fn read(root: Cursor<'_>) -> Result<Manifest, ManifestError> {
    let mut warnings = Vec::new();
    root.unknown_keys(
        &[
            "ROSTemplateFormatVersion",
            "Transform",
            "Resources",
            "Globals",
        ],
        &mut warnings,
    );
    if let Some(transform) = root.get("Transform") {
        let text = transform.as_str()?;
        if !text.starts_with("Aliyun::Serverless") {
            return Err(transform.error(format!(
                "Transform {text} is not Aliyun::Serverless-2018-04-03"
            )));
        }
    }
    let mut services = Vec::new();
    for (name, resource) in root.required("Resources")?.entries()? {
        let kind = resource.required("Type")?;
        if kind.as_str()? != SERVICE_TYPE {
            warnings.push(format!(
                "{}: {} resources are not deployed by wasm-fc; skipped",
                kind.location(),
                kind.as_str()?
            ));
            continue;
        }
        services.push(read_service(&name, &resource, &mut warnings)?);
    }
    Ok(Manifest {
        flavor: Flavor::Funcraft,
        services,
        warnings,
    })
}

fn read_service(
    name: &str,
    resource: &Cursor<'_>,
    warnings: &mut Vec<String>,
) -> Result<ServiceSpec, ManifestError> {
    let mut body = Map::new();
    body.insert("serviceName".into(), Value::String(name.to_string()));
    if let Some(props) = resource.get("Properties") {
        props.unknown_keys(
            &[
                "Description",
                "InternetAccess",
                "Role",
                "LogConfig",
                "NasConfig",
                "VpcConfig",
                "Policies",
                "TracingConfig",
            ],
            warnings,
        );
        for (key, kind) in [
            ("Description", FieldType::Text),
            ("InternetAccess", FieldType::Bool),
            ("Role", FieldType::Text),
        ] {
            if let Some(field) = props.get(key) {
                body.insert(camel(key), typed(&field, kind)?);
            }
        }
        if let Some(log) = props.get("LogConfig") {
            body.insert("logConfig".into(), json!({
                "project": log.get("Project").map(|c| c.as_text()).transpose()?.unwrap_or_default(),
                "logstore": log.get("Logstore").map(|c| c.as_text()).transpose()?.unwrap_or_default(),
            }));
        }
        if let Some(nas) = props.get("NasConfig") {
            if nas.value.as_str().is_some() {
                return Err(nas.error("NasConfig: Auto creates cloud NAS; give MountPoints with ServerAddr and MountDir"));
            }
            body.insert("nasConfig".into(), camel_keys(nas.value));
        }
        if let Some(vpc) = props.get("VpcConfig") {
            warnings.push(format!(
                "{}: a local platform has no VPC; VpcConfig ignored",
                vpc.location()
            ));
        }
    }
    let mut functions = Vec::new();
    for (key, child) in resource.entries()? {
        if key == "Type" || key == "Properties" {
            continue;
        }
        let kind = child.required("Type")?;
        if kind.as_str()? != FUNCTION_TYPE {
            return Err(kind.error(format!(
                "inside a service, resources are of Type {FUNCTION_TYPE}"
            )));
        }
        functions.push(read_function(&key, &child, warnings)?);
    }
    Ok(ServiceSpec {
        name: name.to_string(),
        body: Value::Object(body),
        functions,
        at: resource.location(),
        fc3: false,
    })
}

fn read_function(
    name: &str,
    resource: &Cursor<'_>,
    warnings: &mut Vec<String>,
) -> Result<FunctionSpec, ManifestError> {
    resource.unknown_keys(&["Type", "Properties", "Events"], warnings);
    let props = resource.required("Properties")?;
    let known: Vec<String> = FUNCTION_FIELDS
        .iter()
        .map(|f| pascal(f.0))
        .chain([
            "CAPort".into(),
            "CodeUri".into(),
            super::EXTENSION_KEY.into(),
        ])
        .collect();
    props.unknown_keys(
        &known.iter().map(String::as_str).collect::<Vec<_>>(),
        warnings,
    );
    let mut body = Map::new();
    body.insert("functionName".into(), Value::String(name.to_string()));
    for (field, kind) in FUNCTION_FIELDS {
        let key = if *field == "caPort" {
            "CAPort".to_string()
        } else {
            pascal(field)
        };
        if let Some(value) = props.get(&key) {
            body.insert((*field).to_string(), typed(&value, *kind)?);
        }
    }
    let build = extension(&props, warnings)?;
    let code_uri = props.required("CodeUri")?;
    let mut triggers = Vec::new();
    if let Some(events) = resource.get("Events") {
        for (event_name, event) in events.entries()? {
            triggers.push(read_event(&event_name, &event)?);
        }
    }
    Ok(FunctionSpec {
        name: name.to_string(),
        body: Value::Object(body),
        code: code_source(&code_uri, build.is_some())?,
        code_at: code_uri.location(),
        build,
        triggers,
        at: resource.location(),
    })
}

fn read_event(name: &str, event: &Cursor<'_>) -> Result<TriggerSpec, ManifestError> {
    let kind = event.required("Type")?;
    let props = event.required("Properties")?;
    props.entries()?;
    let text = |key: &str| props.get(key).map(|c| c.as_text()).transpose();
    let (trigger_type, config) = match kind.as_str()? {
        "Timer" => {
            let mut config =
                json!({ "cronExpression": props.required("CronExpression")?.as_text()? });
            if let Some(enable) = props.get("Enable") {
                config["enable"] = Value::Bool(enable.as_bool()?);
            }
            if let Some(payload) = text("Payload")? {
                config["payload"] = Value::String(payload);
            }
            ("timer", config)
        }
        "HTTP" => {
            let auth = props.required("AuthType")?;
            let methods = props.required("Methods")?;
            let mut list = Vec::new();
            for method in methods.items()? {
                list.push(Value::String(method.as_str()?.to_ascii_uppercase()));
            }
            (
                "http",
                json!({ "authType": auth.as_str()?.to_ascii_lowercase(), "methods": list }),
            )
        }
        "OSS" => ("oss", camel_keys(props.value)),
        "Log" => ("log", camel_keys(props.value)),
        "MNSTopic" => ("mns_topic", camel_keys(props.value)),
        "TableStore" => ("tablestore", camel_keys(props.value)),
        "CDN" => ("cdn_events", camel_keys(props.value)),
        other => {
            return Err(kind.error(format!(
                "event Type {other} is not one wasm-fc reads (Timer, HTTP, OSS, Log, MNSTopic, TableStore, CDN)"
            )));
        }
    };
    let mut body =
        json!({ "triggerName": name, "triggerType": trigger_type, "triggerConfig": config });
    if let Some(qualifier) = text("Qualifier")? {
        body["qualifier"] = Value::String(qualifier);
    }
    for key in ["qualifier", "invocationRole", "sourceArn", "bucketName"] {
        let moved = body["triggerConfig"]
            .as_object_mut()
            .and_then(|c| c.remove(key));
        if let Some(value) = moved {
            let api = if key == "bucketName" {
                "sourceArn"
            } else {
                key
            };
            body[api] = value;
        }
    }
    if trigger_type == "oss"
        && let Some(bucket) = body["sourceArn"]
            .as_str()
            .filter(|b| !b.starts_with("acs:"))
    {
        body["sourceArn"] = Value::String(format!("acs:oss:local:local:{bucket}"));
    }
    Ok(TriggerSpec {
        name: name.to_string(),
        body,
        at: event.location(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_case() {
        assert_eq!(camel("MemorySize"), "memorySize");
        assert_eq!(camel("CAPort"), "caPort");
        assert_eq!(camel("Events"), "events");
        assert_eq!(pascal("environmentVariables"), "EnvironmentVariables");
    }
}
