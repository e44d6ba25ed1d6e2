//! Deploys a [`Manifest`] through the FC API: services, then functions (built and
//! packaged), then triggers. Idempotent: what exists is updated, and unchanged code
//! compiles nothing on the server (its checksum is the same).

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;

use crate::client::manifest::package::{PackageError, package};
use crate::client::manifest::{
    Build, CodeSource, FunctionSpec, Location, Manifest, ServiceSpec, TriggerSpec,
};
use crate::client::{API_PREFIX, Client, ClientError, FC3_PREFIX};

/// Why a deploy stopped, and where in the manifest.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("{at}: build `{command}` failed: {message}")]
    Build {
        at: Box<Location>,
        command: String,
        message: String,
    },
    // The causes are fields, not `source`s: their text is already in the message.
    #[error("{at}: packaging the code: {error}")]
    Package {
        at: Box<Location>,
        error: PackageError,
    },
    #[error("{at}: {error}")]
    Api {
        at: Box<Location>,
        error: Box<ClientError>,
    },
}

/// What a deploy reports as it goes (a spinner on a terminal, lines otherwise).
pub trait Progress {
    /// A step begins, e.g. `function demo/hello`.
    fn start(&self, step: &str);
    /// The step ended: what happened and how long it took.
    fn done(&self, step: &str, outcome: &str, elapsed: Duration);
}

/// A deploy that reports nothing.
#[derive(Debug)]
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: &str) {}
    fn done(&self, _: &str, _: &str, _: Duration) {}
}

/// Deploys everything in the manifest.
pub fn deploy(
    client: &Client,
    manifest: &Manifest,
    progress: &dyn Progress,
) -> Result<(), DeployError> {
    for service in &manifest.services {
        // An FC 3.0 function brings its service along (CreateFunction of 2023-03-30).
        if !service.fc3 {
            deploy_service(client, service, progress)?;
        }
        for function in &service.functions {
            deploy_function(client, service, function, progress)?;
        }
    }
    Ok(())
}

/// Creates or updates one service (not its functions).
pub fn deploy_service(
    client: &Client,
    service: &ServiceSpec,
    progress: &dyn Progress,
) -> Result<(), DeployError> {
    let step = format!("service {}", service.name);
    progress.start(&step);
    let started = Instant::now();
    let api = |source| DeployError::Api {
        at: Box::new(service.at.clone()),
        error: Box::new(source),
    };
    let outcome = upsert(
        client,
        API_PREFIX,
        "/services",
        &format!("/services/{}", service.name),
        &service.body,
    )
    .map_err(api)?;
    progress.done(&step, outcome, started.elapsed());
    Ok(())
}

/// Builds, packages and creates or updates one function, then its triggers.
pub fn deploy_function(
    client: &Client,
    service: &ServiceSpec,
    function: &FunctionSpec,
    progress: &dyn Progress,
) -> Result<(), DeployError> {
    let step = if service.fc3 {
        format!("function {}", function.name)
    } else {
        format!("function {}/{}", service.name, function.name)
    };
    if let Some(build) = &function.build {
        let build_step = format!("build {}/{}", service.name, function.name);
        progress.start(&build_step);
        let started = Instant::now();
        run_build(build, &function.at)?;
        progress.done(&build_step, "built", started.elapsed());
    }
    progress.start(&step);
    let started = Instant::now();
    let handler = function.body["handler"].as_str().unwrap_or("index.handler");
    let manifest_dir = function.at.file.parent().unwrap_or(Path::new("."));
    let mut body = function.body.clone();
    let code_size = if let CodeSource::Oss { bucket, object } = &function.code {
        // The platform reads it from its object store.
        body["code"] = serde_json::json!({ "ossBucketName": bucket, "ossObjectName": object });
        format!("code from oss://{bucket}/{object}")
    } else {
        let zip = package(&function.code, handler, manifest_dir).map_err(|source| {
            DeployError::Package {
                at: Box::new(function.code_at.clone()),
                error: source,
            }
        })?;
        body["code"] = serde_json::json!({ "zipFile": base64::engine::general_purpose::STANDARD.encode(&zip) });
        format!("{} KB of code", zip.len().div_ceil(1024))
    };
    let (prefix, base) = function_collection(service);
    let item = format!("{base}/{}", function.name);
    let outcome =
        upsert(client, prefix, &base, &item, &body).map_err(|source| DeployError::Api {
            at: Box::new(function.at.clone()),
            error: Box::new(source),
        })?;
    progress.done(
        &step,
        &format!("{outcome} ({code_size})"),
        started.elapsed(),
    );
    for trigger in &function.triggers {
        deploy_trigger(client, service, function, trigger, progress)?;
    }
    Ok(())
}

fn deploy_trigger(
    client: &Client,
    service: &ServiceSpec,
    function: &FunctionSpec,
    trigger: &TriggerSpec,
    progress: &dyn Progress,
) -> Result<(), DeployError> {
    let step = format!(
        "trigger {}/{}/{}",
        service.name, function.name, trigger.name
    );
    progress.start(&step);
    let started = Instant::now();
    let api = |source| DeployError::Api {
        at: Box::new(trigger.at.clone()),
        error: Box::new(source),
    };
    let (prefix, functions) = function_collection(service);
    let base = format!("{functions}/{}/triggers", function.name);
    let path = format!("{base}/{}", trigger.name);
    // A trigger's type cannot change in place: replace it.
    if let Ok(existing) = client.json_under(prefix, "GET", &path, None)
        && existing["triggerType"] != trigger.body["triggerType"]
    {
        client
            .json_under(prefix, "DELETE", &path, None)
            .map_err(api)?;
    }
    let outcome = upsert(client, prefix, &base, &path, &trigger.body).map_err(api)?;
    progress.done(&step, outcome, started.elapsed());
    Ok(())
}

/// The API prefix and path of the functions a manifest service deploys to:
/// FC 2.0's service, or FC 3.0's top-level functions.
fn function_collection(service: &ServiceSpec) -> (&'static str, String) {
    if service.fc3 {
        (FC3_PREFIX, "/functions".to_string())
    } else {
        (API_PREFIX, format!("/services/{}/functions", service.name))
    }
}

/// POST to `collection`; when it exists (409), PUT to `item` (both under `prefix`).
fn upsert(
    client: &Client,
    prefix: &str,
    collection: &str,
    item: &str,
    body: &Value,
) -> Result<&'static str, ClientError> {
    match client.json_under(prefix, "POST", collection, Some(body)) {
        Ok(_) => Ok("created"),
        Err(ClientError::Api { status: 409, .. }) => {
            let mut update = body.clone();
            if let Some(fields) = update.as_object_mut() {
                for key in ["serviceName", "functionName", "triggerName", "triggerType"] {
                    fields.remove(key);
                }
            }
            client.json_under(prefix, "PUT", item, Some(&update))?;
            Ok("updated")
        }
        Err(err) => Err(err),
    }
}

/// Runs a build command with `sh -c` in its directory; its output goes to our stderr.
pub fn run_build(build: &Build, at: &Location) -> Result<(), DeployError> {
    let failed = |message: String| DeployError::Build {
        at: Box::new(at.clone()),
        command: build.command.clone(),
        message,
    };
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(&build.command)
        .current_dir(&build.dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::io::stderr())
        .status()
        .map_err(|e| failed(e.to_string()))?;
    if status.success() {
        Ok(())
    } else {
        Err(failed(format!("it exited with {status}")))
    }
}
