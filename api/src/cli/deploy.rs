//! `wasm-fc deploy -f FILE` and the progress display shared with `run -f`/`--watch`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use wasm_fc_api::client::deploy::Progress;
use wasm_fc_api::client::manifest;

use super::{ClientArgs, Format, print_json};

#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    /// The manifest: Serverless Devs `s.yaml` (edition 1.0.0) or funcraft `template.yml`.
    #[arg(short = 'f', long = "file", default_value = "s.yaml")]
    pub file: PathBuf,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// A spinner per step on a terminal (compiles can take seconds); plain lines otherwise.
#[derive(Debug)]
pub struct Display {
    spinner: Option<indicatif::ProgressBar>,
    json: bool,
}

impl Display {
    pub fn new(format: Format) -> Self {
        let json = format == Format::Json;
        let spinner = (!json && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        Self { spinner, json }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.spinner {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Display {
    fn start(&self, step: &str) {
        match &self.spinner {
            Some(bar) => bar.set_message(format!("{step} ...")),
            None if !self.json => eprintln!("deploying {step} ..."),
            None => {}
        }
    }

    fn done(&self, step: &str, outcome: &str, elapsed: Duration) {
        let line = format!("{step}: {outcome} in {:.2} s", elapsed.as_secs_f64());
        match &self.spinner {
            Some(bar) => bar.println(line),
            None if !self.json => eprintln!("{line}"),
            None => {}
        }
    }
}

/// Loads a manifest and prints its warnings.
pub fn load(file: &std::path::Path) -> anyhow::Result<manifest::Manifest> {
    let manifest = manifest::load(file)?;
    for warning in &manifest.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(manifest)
}

pub fn deploy(args: &DeployArgs, format: Format) -> anyhow::Result<()> {
    let manifest = load(&args.file)?;
    let client = args.client.client()?;
    let display = Display::new(format);
    let result = wasm_fc_api::client::deploy::deploy(&client, &manifest, &display);
    display.finish();
    result?;
    let deployed: Vec<serde_json::Value> = manifest
        .services
        .iter()
        .flat_map(|s| {
            s.functions.iter().map(move |f| {
                serde_json::json!({
                    "service": s.name, "function": f.name,
                    "triggers": f.triggers.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
                })
            })
        })
        .collect();
    match format {
        Format::Json => print_json(&serde_json::json!({ "deployed": deployed })),
        Format::Text => println!(
            "deployed {} function(s) from {} to {}",
            deployed.len(),
            args.file.display(),
            client.endpoint()
        ),
    }
    Ok(())
}
