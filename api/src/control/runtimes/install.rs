//! Building a runtime component: install the registry tool into the runtimes
//! directory (once), write the embedded sources out, run the tool, and keep
//! the result under a name carrying the sources' hash. One process at a time
//! per directory (a file lock), so parallel `wasm-fc run`s share the work: a
//! second one waits for the first, then finds the component built. What a
//! killed installer left (its build dirs, processes of its tools' children) is
//! removed by the next one, under the same lock.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::tools::Step;
use super::{Language, children, sources};

/// How long one tool step may take before it is stopped. pip and npm download
/// tens to hundreds of MB; the builds take 5-15 s on an idle 2-core machine.
const STEP_LIMIT: Duration = Duration::from_secs(15 * 60);

/// Why a runtime could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("`{tool}` cannot be run ({reason}); the {}", missing_hint(tool))]
    ToolMissing { tool: String, reason: String },
    #[error("{step} failed: {detail}")]
    Step { step: String, detail: String },
    #[error("the install was stopped (wasm-fc is shutting down)")]
    Stopped,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

fn missing_hint(tool: &str) -> &'static str {
    if tool.contains("python") || tool.contains("pip") {
        "Python runtime needs python3 with the venv module (Debian: apt install python3-venv)"
    } else {
        "Node.js runtime needs node and npm 10 or later (Debian: apt install nodejs npm)"
    }
}

/// The built component for `language` in `dir`, if the current sources were built.
pub fn component_path(dir: &Path, language: Language) -> PathBuf {
    dir.join(format!(
        "{}-{}.wasm",
        language.name(),
        sources::build_id(language)
    ))
}

/// Builds the runtime for `language` into `dir` unless it is there already.
/// `progress` gets one line per step. Returns the component's path.
pub fn install(
    dir: &Path,
    language: Language,
    progress: &dyn Fn(&str),
) -> Result<PathBuf, InstallError> {
    install_stoppable(dir, language, progress, &AtomicBool::new(false))
}

/// [`install`], which gives up (killing the tools it runs) once `stop` is set.
pub fn install_stoppable(
    dir: &Path,
    language: Language,
    progress: &dyn Fn(&str),
    stop: &AtomicBool,
) -> Result<PathBuf, InstallError> {
    std::fs::create_dir_all(dir)?;
    // The tools run in other directories, so every path handed to them is absolute.
    let dir = &std::path::absolute(dir)?;
    let _lock = lock_dir(dir, progress, stop)?;
    clean_leftovers(dir);
    let target = component_path(dir, language);
    if target.is_file() {
        return Ok(target);
    }
    let step = Step {
        runtimes_dir: dir,
        limit: STEP_LIMIT,
        stop,
    };
    let started = Instant::now();
    let tool = install_tool(dir, language, progress, &step)?;
    let build = BuildDir::create(dir.join(format!(
        "{BUILD_PREFIX}{}-{}",
        language.name(),
        std::process::id()
    )))?;
    let build = &build.0;
    for (path, text) in sources::files(language) {
        let file = build.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(file, text)?;
    }
    progress(&format!(
        "{}: building the runtime component with {}",
        language.name(),
        language.tool()
    ));
    let mut command = Command::new(&tool);
    match language {
        Language::Python => {
            // componentize-py bundles the site-packages of $VIRTUAL_ENV when it is
            // set (else the system's); point it at the tool's own, clean venv.
            command
                .env("VIRTUAL_ENV", dir.join("tools/python"))
                .args(["-q", "-d", "wit", "-w", "interpreted", "componentize"])
                .args(["-p", "src", "wasm_fc_runtime", "-o", "out.wasm"]);
        }
        Language::Nodejs => {
            // fetch-event: the runtime exports the `interpreted` world, not wasi:http.
            command
                .arg("src/wasm-fc-runtime/runtime.js")
                .args(["--wit", "wit", "-n", "interpreted", "-d", "fetch-event"])
                .args(["-o", "out.wasm"]);
        }
    }
    super::tools::run(command, build, &step, "building the runtime component")?;
    let built = build.join("out.wasm");
    let header = std::fs::read(&built)
        .map(|b| b.get(..4) == Some(b"\0asm"))
        .unwrap_or(false);
    if !header {
        return Err(InstallError::Step {
            step: "building the runtime component".into(),
            detail: format!("{} produced no Wasm component", language.tool()),
        });
    }
    std::fs::rename(&built, &target)?;
    let size = std::fs::metadata(&target).map(|m| m.len()).unwrap_or(0);
    progress(&format!(
        "{}: runtime ready ({:.1} MB) in {:.1} s",
        language.name(),
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    ));
    Ok(target)
}

/// Build directories are `<dir>/build-<language>-<pid>`.
const BUILD_PREFIX: &str = "build-";

/// A build directory, removed when dropped (on success and on every failure).
struct BuildDir(PathBuf);

impl BuildDir {
    fn create(path: PathBuf) -> std::io::Result<Self> {
        remove_logged(&path);
        std::fs::create_dir_all(&path)?;
        Ok(Self(path))
    }
}

impl Drop for BuildDir {
    fn drop(&mut self) {
        remove_logged(&self.0);
    }
}

fn remove_logged(path: &Path) {
    if let Err(e) = std::fs::remove_dir_all(path)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!("removing {}: {e}", path.display());
    }
}

/// Takes the directory's install lock, waiting for another installer (another
/// `wasm-fc`) to finish, unless `stop` is set meanwhile. The lock is released
/// when the returned file is dropped, or when this process dies.
fn lock_dir(
    dir: &Path,
    progress: &dyn Fn(&str),
    stop: &AtomicBool,
) -> Result<std::fs::File, InstallError> {
    let lock = std::fs::File::create(dir.join(".install.lock"))?;
    let mut said = false;
    loop {
        match lock.try_lock() {
            Ok(()) => return Ok(lock),
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
        }
        if stop.load(Ordering::Acquire) {
            return Err(InstallError::Stopped);
        }
        if !said {
            progress(&format!(
                "waiting for another wasm-fc that is installing runtimes into {}",
                dir.display()
            ));
            said = true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// What an installer that was killed left in `dir`: processes of its tools
/// (their children, which `PR_SET_PDEATHSIG` does not reach) and build dirs.
/// Only called under the install lock, so none of it belongs to a live installer.
fn clean_leftovers(dir: &Path) {
    let killed = children::reap_orphans(dir);
    if killed > 0 {
        tracing::info!("killed {killed} processes left by an earlier runtime build");
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(BUILD_PREFIX)
        {
            remove_logged(&entry.path());
        }
    }
}

/// Installs the registry tool under `dir/tools` once (a stamp file records the
/// version) and returns the path of its executable.
fn install_tool(
    dir: &Path,
    language: Language,
    progress: &dyn Fn(&str),
    step: &Step<'_>,
) -> Result<PathBuf, InstallError> {
    let root = dir.join("tools").join(language.name());
    let stamp = root.join(".installed");
    let executable = match language {
        Language::Python => root.join("bin/componentize-py"),
        Language::Nodejs => root.join("node_modules/.bin/componentize-js"),
    };
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(language.tool())
        && executable.is_file()
    {
        return Ok(executable);
    }
    remove_logged(&root);
    std::fs::create_dir_all(&root)?;
    match language {
        Language::Python => {
            progress("python: creating a venv for componentize-py");
            let mut venv = Command::new("python3");
            venv.args(["-m", "venv"]).arg(&root);
            super::tools::run(venv, dir, step, "creating the venv")?;
            progress(&format!(
                "python: pip install {} (about 50 MB)",
                language.tool()
            ));
            let mut pip = Command::new(root.join("bin/pip"));
            pip.args(["install", "--quiet", "--disable-pip-version-check"])
                .arg(language.tool());
            super::tools::run(pip, dir, step, "pip install")?;
        }
        Language::Nodejs => {
            progress(&format!(
                "nodejs: npm install {} (about 400 MB)",
                language.tool()
            ));
            let mut npm = Command::new("npm");
            npm.args([
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "--prefix",
            ])
            .arg(&root)
            .arg(language.tool());
            super::tools::run(npm, dir, step, "npm install")?;
        }
    }
    if !executable.is_file() {
        return Err(InstallError::Step {
            step: format!("installing {}", language.tool()),
            detail: format!("{} is missing afterwards", executable.display()),
        });
    }
    std::fs::write(&stamp, language.tool())?;
    Ok(executable)
}
