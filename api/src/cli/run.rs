//! `wasm-fc run [-f FILE] [--watch]`: the platform (API, triggers, scheduler, async
//! workers) on the embedded store; with a manifest, deploys it first; then prints
//! the banner and echoes guest logs.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use wasm_fc_api::client::Client;
use wasm_fc_api::platform::{Identity, Platform};
use wasm_fc_api::server::{ServerConfig, bind};

use super::Format;
use super::deploy::{Display, load};

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Address to serve the FC API on.
    #[arg(long, env = "WASM_FC_LISTEN", default_value = "127.0.0.1:9000")]
    pub listen: SocketAddr,
    /// Where services, functions, code, artifacts, logs and the queue live.
    #[arg(long, env = "WASM_FC_DATA_DIR", default_value = "./.wasm-fc")]
    pub data_dir: PathBuf,
    /// The account id FC reports (context.accountId).
    #[arg(long, env = "WASM_FC_ACCOUNT_ID", default_value = "1234567890123456")]
    pub account_id: String,
    /// The region FC reports (context.region).
    #[arg(long, env = "WASM_FC_REGION", default_value = "local")]
    pub region: String,
    #[command(flatten)]
    pub keys: super::AccessKeyArgs,
    /// Deploy this manifest (s.yaml or template.yml) before serving.
    #[arg(short = 'f', long = "file")]
    pub file: Option<PathBuf>,
    /// Redeploy when the manifest or a function's code changes (needs -f).
    #[arg(long, requires = "file")]
    pub watch: bool,
    /// Do not echo guest logs to the terminal (they are still kept; see `wasm-fc logs`).
    #[arg(long)]
    pub quiet: bool,
}

pub async fn run(args: RunArgs, format: Format) -> anyhow::Result<()> {
    let credentials = args.keys.credentials();
    // Read the manifest before starting, so a broken one fails fast; absolute paths
    // so that --watch can match what changed.
    let manifest = match &args.file {
        Some(file) => {
            let file =
                std::fs::canonicalize(file).with_context(|| format!("{}", file.display()))?;
            Some((load(&file)?, file))
        }
        None => None,
    };
    let config = ServerConfig {
        listen: args.listen,
        data_dir: args.data_dir.clone(),
        identity: Identity {
            account_id: args.account_id.clone(),
            region: args.region.clone(),
        },
        credentials,
    };
    let mut bound = bind(config).await.context("starting wasm-fc")?;
    bound.platform.logs.set_echo(!args.quiet);
    bound.defer_ready = true;
    let platform = bound.platform.clone();
    let client = Client::new(&format!("http://{}", bound.addr), bound.credentials.clone());
    let server = tokio::spawn(bound.serve(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: draining in-flight requests and async work");
    }));
    let startup = {
        let (client, platform) = (client.clone(), platform.clone());
        let about = super::banner::About {
            data_dir: args.data_dir.display().to_string(),
            region: args.region.clone(),
            account_id: args.account_id.clone(),
        };
        let manifest = manifest.clone();
        tokio::task::spawn_blocking(move || {
            start_up(
                &client,
                &platform,
                manifest.as_ref().map(|m| &m.0),
                format,
                &about,
            )
        })
    };
    startup.await.context("start-up task")??;
    if args.watch
        && let Some((manifest, file)) = manifest
    {
        std::thread::Builder::new()
            .name("wasm-fc-watch".into())
            .spawn(move || super::watch::run(client, file, manifest, format))
            .context("starting the watcher")?;
    }
    server.await.context("server task")?.context("serving")?;
    Ok(())
}

/// Deploys the manifest (if any), prints the banner and marks the platform ready.
fn start_up(
    client: &Client,
    platform: &Arc<Platform>,
    manifest: Option<&wasm_fc_api::manifest::Manifest>,
    format: Format,
    about: &super::banner::About,
) -> anyhow::Result<()> {
    if let Some(manifest) = manifest {
        let display = Display::new(format);
        let result = wasm_fc_api::deploy::deploy(client, manifest, &display);
        display.finish();
        result?;
    }
    let banner = super::banner::collect(client, about)?;
    super::banner::print(&banner, format);
    platform.mark_ready();
    Ok(())
}
