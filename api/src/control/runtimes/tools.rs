//! Running the build tools (python3, pip, npm, componentize-*) as child
//! processes: bounded in time, stoppable, tied to this process (see
//! [`super::children`]), with their output kept for the error message.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::children::{GroupGuard, tie_to_parent};
use super::install::InstallError;

/// Where and how long a build step runs.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    /// The runtimes directory the build is for (marks its processes).
    pub runtimes_dir: &'a Path,
    /// How long the step may take before its processes are killed.
    pub limit: Duration,
    /// Set to stop the step: its processes are killed and it fails as stopped.
    pub stop: &'a AtomicBool,
}

/// Runs `command` in `dir` until it exits, `step.limit` passes or `step.stop`
/// is set; in the last two cases its whole process group is killed. `what`
/// names the step in errors.
pub fn run(
    mut command: Command,
    dir: &Path,
    step: &Step<'_>,
    what: &str,
) -> Result<(), InstallError> {
    let program = command.get_program().to_string_lossy().into_owned();
    if step.stop.load(Ordering::Acquire) {
        return Err(InstallError::Stopped);
    }
    tie_to_parent(&mut command, step.runtimes_dir);
    let child = command
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| InstallError::ToolMissing {
            tool: program.clone(),
            reason: e.to_string(),
        })?;
    let mut guard = GroupGuard { child };
    let child = &mut guard.child;
    // Drain both pipes on threads so a chatty tool cannot block on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if step.stop.load(Ordering::Acquire) => {
                // Dropping the guard kills the group and reaps the child.
                drop(guard);
                return Err(InstallError::Stopped);
            }
            Ok(None) if started.elapsed() > step.limit => break None,
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => {
                return Err(InstallError::Step {
                    step: what.to_string(),
                    detail: e.to_string(),
                });
            }
        }
    };
    // Stragglers of the tool (its own children) go with it; the pipes then close.
    drop(guard);
    let output = format!(
        "{}{}",
        stdout.join().unwrap_or_default(),
        stderr.join().unwrap_or_default()
    );
    match status {
        Some(status) if status.success() => Ok(()),
        Some(status) => Err(InstallError::Step {
            step: what.to_string(),
            detail: format!(
                "{program} exited with {status}: {}",
                last_lines(&output, 15)
            ),
        }),
        None => Err(InstallError::Step {
            step: what.to_string(),
            detail: format!(
                "{program} did not finish within {} s; it was stopped",
                step.limit.as_secs()
            ),
        }),
    }
}

fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}
