//! Serverless Devs `s.yaml`, edition 3.0.0, with the `fc3` component (what
//! `s init` writes for FC 3.0):
//!
//! ```yaml
//! edition: 3.0.0
//! name: hello-app
//! vars: { region: cn-hangzhou }
//! resources:
//!   hello:
//!     component: fc3
//!     props:
//!       region: ${vars.region}
//!       functionName: hello
//!       runtime: python3.10
//!       code: ./code
//!       handler: index.handler
//!       memorySize: 128
//!       timeout: 30
//!       triggers:
//!         - { triggerName: t, triggerType: timer, triggerConfig: { cronExpression: '@every 1m', enable: true } }
//! ```
//!
//! Each function is deployed through the FC 3.0 API (`/2023-03-30/functions`),
//! so FC 2.0 clients see it as service `hello`, function `hello`
//! (`crate::control::fc3_names`). `functionName: svc$fn` names a function of
//! an existing FC 2.0 service.

use serde_json::{Map, Value, json};

use super::cursor::Cursor;
use super::{
    EnvLookup, FUNCTION_FIELDS, FieldType, Flavor, FunctionSpec, Manifest, ManifestError,
    ServiceSpec, TriggerSpec, code_source, extension, typed,
};

/// FC 3.0 function props beyond FC 2.0's function fields.
const FC3_FIELDS: &[(&str, FieldType)] = &[
    ("role", FieldType::Text),
    ("internetAccess", FieldType::Bool),
    ("cpu", FieldType::Text),
    ("diskSize", FieldType::Int),
    ("tracingConfig", FieldType::Map),
];

/// Props `s init` writes that a local platform has no use for: warned about, not deployed.
const IGNORED_PROPS: &[&str] = &[
    "vpcConfig",
    "gpuConfig",
    "customContainerConfig",
    "provisionConfig",
    "vpcBinding",
    "customDomain",
    "ossMountConfig",
    "resourceGroupId",
    "tags",
    "sessionAffinity",
    "instanceIsolationMode",
    "artifact",
];

pub(super) fn read(root: Cursor<'_>, env: EnvLookup<'_>) -> Result<Manifest, ManifestError> {
    let mut document = root.document.clone();
    super::sdevs::interpolate_document(&mut document, root.file, env)?;
    let root = Cursor {
        document: &document,
        value: &document.root,
        ..root
    };
    let mut warnings = Vec::new();
    root.unknown_keys(
        &[
            "edition",
            "name",
            "access",
            "vars",
            "resources",
            "template",
            "flow",
            "actions",
        ],
        &mut warnings,
    );
    let mut services = Vec::new();
    for (_, resource) in root.required("resources")?.entries()? {
        resource.unknown_keys(
            &["component", "props", "actions", "access", "extend"],
            &mut warnings,
        );
        let component = resource.required("component")?;
        match component.as_str()? {
            "fc3" | "devsapp/fc3" => {}
            c if c.starts_with("fc3@") || c.starts_with("devsapp/fc3@") => {}
            "fc" | "devsapp/fc" => {
                return Err(component.error(
                    "the fc component is FC 2.0 and belongs in edition 1.0.0; edition 3.0.0 uses `component: fc3`",
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
        if resource.get("actions").is_some() {
            warnings.push(format!(
                "{}: actions are not run by wasm-fc; use `x-wasm-fc: {{build: ...}}` in props",
                resource.location()
            ));
        }
        services.push(read_function(&resource.required("props")?, &mut warnings)?);
    }
    Ok(Manifest {
        flavor: Flavor::ServerlessDevs,
        services,
        warnings,
    })
}

/// One `fc3` resource's props: a function and its triggers.
fn read_function(
    props: &Cursor<'_>,
    warnings: &mut Vec<String>,
) -> Result<ServiceSpec, ManifestError> {
    let known: Vec<&str> = FUNCTION_FIELDS
        .iter()
        .chain(FC3_FIELDS)
        .map(|f| f.0)
        .chain([
            "region",
            "functionName",
            "code",
            "triggers",
            "logConfig",
            "nasConfig",
            "asyncInvokeConfig",
            "concurrencyConfig",
            super::EXTENSION_KEY,
        ])
        .chain(IGNORED_PROPS.iter().copied())
        .collect();
    props.unknown_keys(&known, warnings);
    for key in IGNORED_PROPS {
        if let Some(field) = props.get(key) {
            warnings.push(format!(
                "{}: {key} has no effect on a local platform; ignored",
                field.location()
            ));
        }
    }
    let name_at = props.required("functionName")?;
    let name = name_at.as_str()?.to_string();
    let place = crate::control::fc3_names::place(&name).ok_or_else(|| {
        name_at.error(
            "functionName must be a name, or service$function for a function of an FC 2.0 service",
        )
    })?;
    let mut body = Map::new();
    body.insert("functionName".into(), Value::String(name.clone()));
    for (field, kind) in FUNCTION_FIELDS.iter().chain(FC3_FIELDS) {
        if let Some(value) = props.get(field) {
            // `cpu` is a number in FC 3.0; read it as text to keep 0.35 exact.
            let value = if *field == "cpu" {
                json!(
                    value
                        .as_text()?
                        .parse::<f64>()
                        .map_err(|_| value.error("cpu must be a number of vCPUs, e.g. 0.35"))?
                )
            } else {
                typed(&value, *kind)?
            };
            body.insert((*field).to_string(), value);
        }
    }
    if let Some(log) = props.get("logConfig") {
        body.insert("logConfig".into(), super::sdevs::log_config(&log)?);
    }
    if let Some(nas) = props.get("nasConfig") {
        body.insert("nasConfig".into(), super::sdevs::nas_config(&nas)?);
    }
    for key in ["asyncInvokeConfig", "concurrencyConfig"] {
        if let Some(field) = props.get(key) {
            warnings.push(format!(
                "{}: {key} is not deployed from s.yaml yet; use the FC 3.0 API",
                field.location()
            ));
        }
    }
    let build = extension(props, warnings)?;
    let code_at = props.required("code")?;
    let code = match code_at.get("ossBucketName") {
        Some(bucket) => super::CodeSource::Oss {
            bucket: bucket.as_str()?.to_string(),
            object: code_at.required("ossObjectName")?.as_str()?.to_string(),
        },
        None => code_source(&code_at, build.is_some())?,
    };
    let mut triggers = Vec::new();
    if let Some(list) = props.get("triggers") {
        for trigger in list.items()? {
            triggers.push(read_trigger(&trigger, warnings)?);
        }
    }
    let function = FunctionSpec {
        name: name.clone(),
        body: Value::Object(body),
        code,
        code_at: code_at.location(),
        build,
        triggers,
        at: props.location(),
    };
    Ok(ServiceSpec {
        name: place.service,
        body: json!({}),
        functions: vec![function],
        at: props.location(),
        fc3: true,
    })
}

/// A trigger in FC 3.0's own field names.
fn read_trigger(
    trigger: &Cursor<'_>,
    warnings: &mut Vec<String>,
) -> Result<TriggerSpec, ManifestError> {
    trigger.unknown_keys(
        &[
            "triggerName",
            "triggerType",
            "triggerConfig",
            "qualifier",
            "sourceArn",
            "invocationRole",
            "description",
        ],
        warnings,
    );
    let name = trigger.required("triggerName")?.as_str()?.to_string();
    let kind = trigger.required("triggerType")?.as_str()?.to_string();
    let config = trigger.required("triggerConfig")?;
    config.entries()?;
    let mut body = json!({
        "triggerName": name, "triggerType": kind, "triggerConfig": config.value.clone(),
    });
    if kind == "timer"
        && let Some(payload) = config.get("payload")
    {
        body["triggerConfig"]["payload"] = Value::String(payload.as_text()?);
    }
    for key in ["qualifier", "sourceArn", "invocationRole", "description"] {
        if let Some(value) = trigger.get(key) {
            body[key] = Value::String(value.as_text()?);
        }
    }
    Ok(TriggerSpec {
        name,
        body,
        at: trigger.location(),
    })
}
