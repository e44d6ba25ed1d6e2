//! `wasm-fc runtimes install|list`: the Python and Node.js runtimes, built once
//! per install from registry packages and precompiled, shared by every data dir.

use std::path::PathBuf;

use anyhow::Context as _;
use serde_json::json;
use wasm_fc_api::control::runtimes::{Language, Runtimes};
use wasm_fc_engine::{Engine, EngineConfig};

use super::Format;

/// Where the runtimes live.
#[derive(Debug, Clone, clap::Args)]
pub struct RuntimesDirArgs {
    /// Where the Python and Node.js runtimes are built, with their tools and
    /// precompiled artifacts. Default: `$XDG_CACHE_HOME/wasm-fc/runtimes`
    /// (`~/.cache/wasm-fc/runtimes`).
    #[arg(long = "runtimes-dir", env = "WASM_FC_RUNTIMES_DIR")]
    pub dir: Option<PathBuf>,
}

impl RuntimesDirArgs {
    pub fn resolve(&self) -> PathBuf {
        self.dir.clone().unwrap_or_else(default_dir)
    }
}

fn default_dir() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".wasm-fc"));
    cache.join("wasm-fc").join("runtimes")
}

#[derive(Debug, clap::Subcommand)]
pub enum RuntimesCommand {
    /// Build (once) and precompile the Python and Node.js runtimes. Needs python3
    /// with venv, node and npm, and the package registries (first time only).
    Install {
        #[command(flatten)]
        dir: RuntimesDirArgs,
    },
    /// Show which runtimes are built.
    List {
        #[command(flatten)]
        dir: RuntimesDirArgs,
    },
}

/// The engine `wasm-fc run` uses, for precompiling into the shared directory
/// (artifacts carry the engine's compatibility hash, so they must match).
pub fn engine_for(runtimes: &Runtimes, data_dir: &std::path::Path) -> anyhow::Result<Engine> {
    Engine::new(EngineConfig {
        artifact_dir: data_dir.join("artifacts"),
        shared_artifact_dirs: runtimes.artifact_dir().into_iter().collect(),
        ..EngineConfig::default()
    })
    .context("starting the engine")
}

pub fn run(command: &RuntimesCommand, format: Format) -> anyhow::Result<()> {
    match command {
        RuntimesCommand::Install { dir } => {
            let dir = dir.resolve();
            let runtimes = Runtimes::open(Some(dir.clone()));
            let engine = engine_for(&runtimes, &dir)?;
            runtimes.install_missing(&engine, &|line| eprintln!("{line}"));
            let missing = runtimes.missing();
            list(&Runtimes::open(Some(dir)), format);
            if !missing.is_empty() {
                anyhow::bail!(
                    "not installed: {}",
                    missing
                        .iter()
                        .map(|l| l.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            Ok(())
        }
        RuntimesCommand::List { dir } => {
            list(&Runtimes::open(Some(dir.resolve())), format);
            Ok(())
        }
    }
}

fn list(runtimes: &Runtimes, format: Format) {
    let missing = runtimes.missing();
    let rows: Vec<_> = Language::ALL
        .into_iter()
        .map(|language| {
            let runtimes_list = match language {
                Language::Python => wasm_fc_api::control::runtimes::PYTHON_RUNTIMES,
                Language::Nodejs => wasm_fc_api::control::runtimes::NODEJS_RUNTIMES,
            };
            json!({
                "language": language.name(),
                "engine": language.engine(),
                "installed": !missing.contains(&language),
                "runtimes": runtimes_list,
            })
        })
        .collect();
    match format {
        Format::Json => println!("{}", json!({ "dir": runtimes.dir(), "runtimes": rows })),
        Format::Text => {
            if let Some(dir) = runtimes.dir() {
                println!("runtimes in {}", dir.display());
            }
            for row in rows {
                println!(
                    "  {:<7} {:<10} {}  ({})",
                    row["language"].as_str().unwrap_or_default(),
                    if row["installed"] == true {
                        "installed"
                    } else {
                        "missing"
                    },
                    row["engine"].as_str().unwrap_or_default(),
                    row["runtimes"]
                        .as_array()
                        .map(|r| r
                            .iter()
                            .filter_map(|v| v.as_str())
                            .collect::<Vec<_>>()
                            .join(" "))
                        .unwrap_or_default()
                );
            }
        }
    }
}
