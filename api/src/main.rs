//! `wasm-fc`: a local Alibaba Function Compute that runs functions as WebAssembly.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use wasm_fc_api::credentials::Credentials;
use wasm_fc_api::platform::Identity;
use wasm_fc_api::server::{ServerConfig, bind};

#[derive(Parser)]
#[command(
    name = "wasm-fc",
    version,
    about = "Alibaba Function Compute's API, running functions as WebAssembly"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the platform: the FC API, invocation and the async queue.
    Run(RunArgs),
}

#[derive(clap::Args)]
struct RunArgs {
    /// Address to serve the FC API on.
    #[arg(long, env = "WASM_FC_LISTEN", default_value = "127.0.0.1:9000")]
    listen: SocketAddr,
    /// Where services, functions, code, artifacts and the queue live.
    #[arg(long, env = "WASM_FC_DATA_DIR", default_value = "./.wasm-fc")]
    data_dir: PathBuf,
    /// The account id FC reports (context.accountId).
    #[arg(long, env = "WASM_FC_ACCOUNT_ID", default_value = "1234567890123456")]
    account_id: String,
    /// The region FC reports (context.region).
    #[arg(long, env = "WASM_FC_REGION", default_value = "local")]
    region: String,
    /// Access key id; generated and saved in the data dir when unset.
    #[arg(long, env = "WASM_FC_ACCESS_KEY_ID", requires = "access_key_secret")]
    access_key_id: Option<String>,
    /// Access key secret.
    #[arg(
        long,
        env = "WASM_FC_ACCESS_KEY_SECRET",
        hide_env_values = true,
        requires = "access_key_id"
    )]
    access_key_secret: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WASM_FC_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    let Cli {
        command: Command::Run(args),
    } = Cli::parse();
    let credentials = match (args.access_key_id, args.access_key_secret) {
        (Some(access_key_id), Some(access_key_secret)) => Some(Credentials {
            access_key_id,
            access_key_secret,
        }),
        _ => None,
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
    let bound = bind(config).await.context("starting wasm-fc")?;
    let endpoint = format!("http://{}", bound.addr);
    println!("wasm-fc listening on {endpoint}");
    println!("  data dir:      {}", args.data_dir.display());
    println!(
        "  account id:    {}   region: {}",
        args.account_id, args.region
    );
    println!("  access key id: {}", bound.credentials.access_key_id);
    println!("Point an FC SDK at it, e.g. Python (aliyun-fc2):");
    println!(
        "  fc2.Client(endpoint='{endpoint}', accessKeyID='{}', accessKeySecret='<see {}/credentials.json or WASM_FC_ACCESS_KEY_SECRET>')",
        bound.credentials.access_key_id,
        args.data_dir.display()
    );
    bound
        .serve(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down: draining in-flight requests and async work");
        })
        .await
        .context("serving")?;
    Ok(())
}
