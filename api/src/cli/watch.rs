//! `wasm-fc run -f FILE --watch`: redeploys a function when its code changes, and
//! the whole manifest when the manifest changes.
//!
//! What is watched: the manifest's directory and every function's code path,
//! recursively, except `target/`, `.git/` and `.wasm-fc/` (build outputs would
//! otherwise retrigger builds). A change to a function's `codeUri` redeploys it; a
//! change elsewhere under the manifest's directory rebuilds and redeploys the
//! functions that have an `x-wasm-fc: {build}` command. Events are debounced
//! (300 ms). The server compiles the new code while the old version serves, then
//! swaps it in; invocations in flight finish on the old version.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use wasm_fc_api::client::Client;
use wasm_fc_api::client::manifest::Manifest;

use super::Format;
use super::deploy::{Display, load};

/// Quiet time after the last change before redeploying.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// Directories whose changes never trigger anything.
const IGNORED_DIRS: [&str; 3] = ["target", ".git", ".wasm-fc"];

/// What a batch of changes asks for.
#[derive(Debug, Default, PartialEq, Eq)]
struct Plan {
    manifest: bool,
    /// (service, function, with its build)
    functions: Vec<(String, String, bool)>,
}

fn ignored(path: &Path, base: &Path) -> bool {
    path.strip_prefix(base).is_ok_and(|relative| {
        relative
            .components()
            .any(|c| IGNORED_DIRS.iter().any(|d| c.as_os_str() == *d))
    })
}

fn plan(manifest: &Manifest, file: &Path, base: &Path, changed: &[PathBuf]) -> Plan {
    let mut plan = Plan::default();
    for path in changed {
        if path == file || path.file_name() == file.file_name() && path.parent() == file.parent() {
            plan.manifest = true;
            continue;
        }
        for service in &manifest.services {
            for function in &service.functions {
                let in_code = function.code.path().is_some_and(|c| path.starts_with(c));
                let in_sources =
                    function.build.is_some() && path.starts_with(base) && !ignored(path, base);
                if in_code || in_sources {
                    let key = (service.name.clone(), function.name.clone(), in_sources);
                    if !plan
                        .functions
                        .iter()
                        .any(|(s, f, _)| *s == key.0 && *f == key.1)
                    {
                        plan.functions.push(key);
                    }
                }
            }
        }
    }
    plan
}

/// Watches until the process ends. Errors are printed; the running version stays.
pub fn run(client: Client, file: PathBuf, mut manifest: Manifest, format: Format) {
    let file = std::fs::canonicalize(&file).unwrap_or(file);
    let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let (sender, receiver) = std::sync::mpsc::channel();
    let mut watcher =
        match notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if let Ok(event) = event
                && !matches!(event.kind, notify::EventKind::Access(_))
            {
                let _ = sender.send(event.paths);
            }
        }) {
            Ok(watcher) => watcher,
            Err(err) => {
                eprintln!("--watch: cannot watch files: {err}");
                return;
            }
        };
    let mut watched = vec![base.clone()];
    for function in manifest.services.iter().flat_map(|s| &s.functions) {
        if let Some(path) = function.code.path()
            && !path.starts_with(&base)
        {
            watched.push(path.to_path_buf());
        }
    }
    for path in &watched {
        if let Err(err) = watcher.watch(path, RecursiveMode::Recursive) {
            eprintln!("--watch: cannot watch {}: {err}", path.display());
        }
    }
    eprintln!("watching {} for changes", base.display());
    while let Some(changed) = next_batch(&receiver) {
        let changed: Vec<PathBuf> = changed
            .into_iter()
            .filter(|p| {
                !ignored(p, &base)
                    || manifest
                        .services
                        .iter()
                        .flat_map(|s| &s.functions)
                        .any(|f| f.code.path().is_some_and(|c| p.starts_with(c)))
            })
            .collect();
        let plan = plan(&manifest, &file, &base, &changed);
        if plan.manifest {
            match load(&file) {
                Ok(reloaded) => {
                    manifest = reloaded;
                    let display = Display::new(format);
                    let result = wasm_fc_api::client::deploy::deploy(&client, &manifest, &display);
                    display.finish();
                    report(result, "manifest");
                }
                Err(err) => eprintln!("--watch: {err:#}; keeping what runs"),
            }
        } else {
            for (service, function, build) in &plan.functions {
                redeploy(&client, &manifest, service, function, *build, format);
            }
        }
        // Changes our own builds made are not new work.
        while receiver.try_recv().is_ok() {}
    }
}

fn redeploy(
    client: &Client,
    manifest: &Manifest,
    service: &str,
    function: &str,
    build: bool,
    format: Format,
) {
    let Some(service_spec) = manifest.services.iter().find(|s| s.name == service) else {
        return;
    };
    let Some(function_spec) = service_spec.functions.iter().find(|f| f.name == function) else {
        return;
    };
    let mut spec = function_spec.clone();
    if !build {
        spec.build = None;
    }
    let display = Display::new(format);
    let result =
        wasm_fc_api::client::deploy::deploy_function(client, service_spec, &spec, &display);
    display.finish();
    report(result, &format!("{service}/{function}"));
}

fn report(result: Result<(), wasm_fc_api::client::deploy::DeployError>, what: &str) {
    match result {
        Ok(()) => eprintln!("--watch: redeployed {what}"),
        Err(err) => eprintln!("--watch: {err}; the previous version keeps serving"),
    }
}

/// Waits for a change, then gathers changes until [`DEBOUNCE`] passes quietly.
fn next_batch(receiver: &Receiver<Vec<PathBuf>>) -> Option<Vec<PathBuf>> {
    let mut batch = receiver.recv().ok()?;
    loop {
        match receiver.recv_timeout(DEBOUNCE) {
            Ok(paths) => batch.extend(paths),
            Err(RecvTimeoutError::Timeout) => return Some(batch),
            Err(RecvTimeoutError::Disconnected) => return None,
        }
    }
}
