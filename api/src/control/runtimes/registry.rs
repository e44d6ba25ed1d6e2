//! Which runtimes this server has, and waiting for one that is being built.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasm_fc_engine::Engine;

use super::Language;
use super::install::{self, install_stoppable};
use crate::control::error::{ApiError, ApiResult};

/// How long a deploy waits for a runtime that is still being built at start-up.
/// 15 minutes: a first install downloads ~450 MB of tools.
const WAIT_FOR_INSTALL: Duration = Duration::from_secs(15 * 60);

/// A built runtime component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The component (`<dir>/<language>-<build id>.wasm`).
    pub path: PathBuf,
    /// sha256 (hex) of the component: its artifact key.
    pub digest: String,
}

#[derive(Debug, Clone)]
enum State {
    Missing,
    Installing,
    Ready(Installed),
    Failed(String),
}

/// The runtimes directory and each language's state. `dir` is `None` when the
/// runtimes are turned off (`wasm-fc run --no-runtimes`).
#[derive(Debug)]
pub struct Runtimes {
    dir: Option<PathBuf>,
    states: Mutex<HashMap<Language, State>>,
    changed: tokio::sync::Notify,
    /// Set by [`Runtimes::stop_installing`]: a build in progress kills its tools and gives up.
    stop: AtomicBool,
}

impl Runtimes {
    /// Looks in `dir` for components built from this binary's sources.
    pub fn open(dir: Option<PathBuf>) -> Self {
        let states = Language::ALL
            .into_iter()
            .map(|language| {
                let state = dir
                    .as_deref()
                    .and_then(|dir| built(dir, language))
                    .map_or(State::Missing, State::Ready);
                (language, state)
            })
            .collect();
        Self {
            dir,
            states: Mutex::new(states),
            changed: tokio::sync::Notify::new(),
            stop: AtomicBool::new(false),
        }
    }

    /// The runtimes directory, if the runtimes are on.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Where precompiled runtime artifacts are shared between data dirs.
    pub fn artifact_dir(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|dir| dir.join("artifacts"))
    }

    /// The languages not built yet.
    pub fn missing(&self) -> Vec<Language> {
        self.with_states(|states| {
            Language::ALL
                .into_iter()
                .filter(|l| !matches!(states.get(l), Some(State::Ready(_))))
                .collect()
        })
    }

    /// The languages being built right now (what `/readyz` may wait for).
    pub fn installing(&self) -> Vec<Language> {
        self.with_states(|states| {
            Language::ALL
                .into_iter()
                .filter(|l| matches!(states.get(l), Some(State::Installing)))
                .collect()
        })
    }

    /// The runtime for `language`, waiting while it is being built; a clear 400
    /// when it is not available.
    pub async fn get(&self, language: Language) -> ApiResult<Installed> {
        let deadline = tokio::time::Instant::now() + WAIT_FOR_INSTALL;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let state = self.with_states(|s| s.get(&language).cloned());
            match state {
                Some(State::Ready(installed)) => return Ok(installed),
                Some(State::Installing) => {
                    if tokio::time::timeout_at(deadline, notified).await.is_err() {
                        return Err(self.unavailable(language, "it is still being built"));
                    }
                }
                Some(State::Failed(reason)) => return Err(self.unavailable(language, &reason)),
                Some(State::Missing) | None => {
                    return Err(self.unavailable(language, "it is not installed"));
                }
            }
        }
    }

    /// Marks every runtime that is not built as being built, so that deploys
    /// from now on wait for [`Runtimes::install_missing`] instead of failing.
    /// Call it before starting the install in the background.
    pub fn mark_installing(&self) {
        if self.dir.is_none() {
            return;
        }
        self.with_states(|states| {
            for state in states.values_mut() {
                if !matches!(state, State::Ready(_)) {
                    *state = State::Installing;
                }
            }
        });
        self.changed.notify_waiters();
    }

    /// Builds every missing runtime (blocking; progress lines to `progress`) and
    /// precompiles all of them with `engine`, so deploys compile nothing.
    /// A runtime that fails is reported through [`Runtimes::get`], not here.
    pub fn install_missing(&self, engine: &Engine, progress: &dyn Fn(&str)) {
        let (Some(dir), Some(artifacts)) = (self.dir.clone(), self.artifact_dir()) else {
            return;
        };
        self.mark_installing();
        for language in Language::ALL {
            let ready = self.with_states(|s| match s.get(&language) {
                Some(State::Ready(found)) => Some(found.clone()),
                _ => None,
            });
            let result = match ready {
                Some(found) => Ok(found),
                None => install_stoppable(&dir, language, progress, &self.stop)
                    .map_err(|e| e.to_string())
                    .and_then(|path| installed(&path).map_err(|e| e.to_string())),
            };
            let result = result.and_then(|found| {
                let wasm = std::fs::read(&found.path).map_err(|e| e.to_string())?;
                engine
                    .precompile_into(&wasm, &artifacts)
                    .map_err(|e| format!("precompiling {}: {e}", found.path.display()))?;
                Ok(found)
            });
            let state = match result {
                Ok(found) => State::Ready(found),
                Err(reason) => {
                    progress(&format!(
                        "{}: runtime unavailable: {reason}",
                        language.name()
                    ));
                    State::Failed(reason)
                }
            };
            self.with_states(|s| s.insert(language, state));
            self.changed.notify_waiters();
        }
    }

    /// Stops [`Runtimes::install_missing`]: the tool running now is killed (with
    /// its process group) and the runtimes not built yet are marked failed.
    /// `wasm-fc run` calls it when it shuts down, so that it exits promptly.
    pub fn stop_installing(&self) {
        self.stop.store(true, Ordering::Release);
    }

    fn unavailable(&self, language: Language, reason: &str) -> ApiError {
        let how = match &self.dir {
            None => "this server runs with --no-runtimes".to_string(),
            Some(dir) => format!(
                "{reason}; run `wasm-fc runtimes install --runtimes-dir {}` (needs {})",
                dir.display(),
                match language {
                    Language::Python => "python3 with venv",
                    Language::Nodejs => "node and npm",
                }
            ),
        };
        ApiError::InvalidArgument(format!(
            "the {} runtime ({}) is not available on this server: {how}",
            language.name(),
            language.engine()
        ))
    }

    fn with_states<R>(&self, f: impl FnOnce(&mut HashMap<Language, State>) -> R) -> R {
        let mut states = self
            .states
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut states)
    }
}

fn built(dir: &Path, language: Language) -> Option<Installed> {
    let path = install::component_path(dir, language);
    path.is_file().then(|| installed(&path).ok()).flatten()
}

fn installed(path: &Path) -> std::io::Result<Installed> {
    let wasm = std::fs::read(path)?;
    Ok(Installed {
        path: path.to_path_buf(),
        digest: Engine::digest(&wasm),
    })
}
