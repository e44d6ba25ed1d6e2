//! Running the build tools (python3, pip, npm, componentize-*) as child
//! processes: bounded in time, with their output kept for the error message.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::install::InstallError;

/// Runs `command` in `dir` until it exits or `limit` passes (then it is killed).
/// `what` names the step in errors.
pub fn run(
    mut command: Command,
    dir: &Path,
    limit: Duration,
    what: &str,
) -> Result<(), InstallError> {
    let program = command.get_program().to_string_lossy().into_owned();
    let mut child = command
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| InstallError::ToolMissing {
            tool: program.clone(),
            reason: e.to_string(),
        })?;
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
            Ok(None) if started.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => {
                return Err(InstallError::Step {
                    step: what.to_string(),
                    detail: e.to_string(),
                });
            }
        }
    };
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
                limit.as_secs()
            ),
        }),
    }
}

fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}
