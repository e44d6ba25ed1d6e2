//! `wasm-fc run [-f FILE] [--watch]`: the platform (API, triggers, scheduler, async
//! workers) on the embedded store; with a manifest, deploys it first; then prints
//! the banner and echoes guest logs.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use wasm_fc_api::app::{ServerConfig, bind};
use wasm_fc_api::client::Client;
use wasm_fc_api::control::plane::Identity;

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
    /// The base URL clients reach this server at (e.g. `http://fc.example:9000`),
    /// used in the URLs it hands out (GetFunctionCode). Default: the request's
    /// `Host` when it carries a port, else the listen address.
    #[arg(long, env = "WASM_FC_PUBLIC_ENDPOINT")]
    pub public_endpoint: Option<String>,
    /// Seconds a client may take to send a request's headers, and an HTTP/1
    /// keep-alive connection may sit idle (slow or idle clients are closed).
    #[arg(long, env = "WASM_FC_HEADER_READ_TIMEOUT", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout: u64,
    /// Open connections at most (also bounded by half the descriptor limit,
    /// which start-up raises to its hard maximum).
    #[arg(long, env = "WASM_FC_MAX_CONNECTIONS", default_value_t = 4096,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: u64,
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
    #[command(flatten)]
    pub runtimes: super::runtimes::RuntimesDirArgs,
    /// Do not build or serve the Python and Node.js runtimes (Wasm functions only;
    /// no python3/node needed).
    /// `WASM_FC_NO_RUNTIMES` takes 1/0, true/false, yes/no or on/off.
    #[arg(
        long,
        env = "WASM_FC_NO_RUNTIMES",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub no_runtimes: bool,
    /// Invocations one Wasm instance serves before it is retired. 1 gives every
    /// request a fresh instance: strict isolation (no state survives between
    /// requests) at the cost of instantiating each time, as `wasmtime serve`
    /// does for wasip2 components by default.
    #[arg(
        long,
        env = "WASM_FC_MAX_INSTANCE_REUSE_COUNT",
        default_value_t = wasm_fc_api::app::DEFAULT_MAX_INSTANCE_REUSE,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub max_instance_reuse_count: u64,
    /// Where the platform keeps its state: `postgres://user@host:port/db` for a
    /// PostgreSQL database that several nodes share. Default: the embedded
    /// SQLite file `wasm-fc.db` in the data dir.
    #[arg(long, env = "WASM_FC_STORE")]
    pub store: Option<String>,
    /// `host:port` where the other nodes sharing the store reach this one (the
    /// cluster view lists it; `wasm-fc logs` on any node gathers every node's
    /// logs through it). Default: the listen address, with 127.0.0.1 for an
    /// unspecified IP (right for nodes on one host; set it on several hosts).
    #[arg(long, env = "WASM_FC_ADVERTISE_ADDRESS")]
    pub advertise_address: Option<String>,
    /// Where the embedded S3-compatible object store (the local OSS) listens,
    /// or `off`. Clients sign with the platform's access keys (SigV4,
    /// path-style); its buckets live in the data dir's `oss/`.
    #[arg(long, env = "WASM_FC_OSS_LISTEN", default_value = "127.0.0.1:9100",
          value_parser = parse_oss_listen)]
    pub oss_listen: OssListen,
    /// The largest object the embedded object store accepts, in bytes
    /// (larger uploads get S3's 400 EntityTooLarge). Default 5 GiB.
    #[arg(long, env = "WASM_FC_OSS_MAX_OBJECT_SIZE",
          default_value_t = wasm_fc_api::app::DEFAULT_OSS_MAX_OBJECT_SIZE,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub oss_max_object_size: u64,
    /// A message broker that `eventbridge` triggers consume from, as
    /// NAME=URL (repeatable): `local=amqp://guest:guest@127.0.0.1:5672` for
    /// RabbitMQ, `iot=mqtt://127.0.0.1:1883` for MQTT. A trigger names it in
    /// `sourceRabbitMQParameters.InstanceId` (or `sourceMQTTParameters`); the
    /// URL's credentials never appear in a trigger. Env: comma-separated.
    #[arg(
        long = "broker",
        env = "WASM_FC_BROKERS",
        value_delimiter = ',',
        value_name = "NAME=URL"
    )]
    pub brokers: Vec<wasm_fc_api::triggers::brokers::Broker>,
    /// A PostgreSQL database whose tables `tablestore` triggers read, as
    /// NAME=postgres://user:password@host:5432/db (repeatable). A trigger
    /// names it in its sourceArn (`…:instance/NAME/table/TABLE`); the URL's
    /// password never appears in a trigger. Env: comma-separated.
    #[arg(
        long = "table-instance",
        env = "WASM_FC_TABLE_INSTANCES",
        value_delimiter = ',',
        value_name = "NAME=URL"
    )]
    pub table_instances: Vec<wasm_fc_api::triggers::tablestore::instances::TableInstance>,
}

/// `--oss-listen`: an address, or off.
#[derive(Debug, Clone, Copy)]
pub struct OssListen(pub Option<SocketAddr>);

fn parse_oss_listen(value: &str) -> Result<OssListen, String> {
    if value.eq_ignore_ascii_case("off") {
        return Ok(OssListen(None));
    }
    value
        .parse()
        .map(|addr| OssListen(Some(addr)))
        .map_err(|e| format!("{value:?} is not host:port or off ({e})"))
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
            public_endpoint: args.public_endpoint.clone(),
        },
        credentials,
        runtimes_dir: (!args.no_runtimes).then(|| args.runtimes.resolve()),
        max_instance_reuse: args.max_instance_reuse_count,
        store: args.store.clone(),
        advertise_address: args.advertise_address.clone(),
        oss_listen: args.oss_listen.0,
        oss_max_object_size: args.oss_max_object_size,
        brokers: wasm_fc_api::triggers::brokers::Brokers::new(args.brokers.clone()),
        table_instances: wasm_fc_api::triggers::tablestore::instances::TableInstances::new(
            args.table_instances.clone(),
        ),
    };
    let mut bound = bind(config).await.context("starting wasm-fc")?;
    bound.platform.logs.set_echo(!args.quiet);
    bound.defer_ready = true;
    bound.connection_limits = wasm_fc_api::http::connections::ConnectionLimits {
        header_read_timeout: std::time::Duration::from_secs(args.header_read_timeout),
        max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
        ..Default::default()
    };
    // From the first request on, Python and Node.js deploys wait for the runtimes
    // being built below rather than fail as "not installed".
    bound.platform.runtimes.mark_installing();
    let platform = bound.platform.clone();
    let oss_endpoint = bound.oss_addr.map(|addr| {
        let mut reachable = addr;
        if reachable.ip().is_unspecified() {
            reachable.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        format!("http://{reachable}")
    });
    let notification_token = bound.credentials.notification_token();
    let client = Client::new(&format!("http://{}", bound.addr), bound.credentials.clone());
    let server = tokio::spawn(bound.serve(async {
        let signal = shutdown_signal().await;
        tracing::info!("{signal}: shutting down, draining in-flight requests and async work");
    }));
    // The runtimes build (first start only) and precompile in the background
    // while the API serves: a Python or Node.js deploy waits for its runtime,
    // and /readyz waits only for the runtimes a deployed function needs.
    let runtimes = {
        let platform = platform.clone();
        tokio::task::spawn_blocking(move || {
            platform
                .runtimes
                .install_missing(&platform.engine, &|line| {
                    tracing::info!(target: "wasm_fc::runtimes", "{line}");
                })
        })
    };
    tokio::spawn(async move {
        if let Err(err) = runtimes.await {
            tracing::error!(target: "wasm_fc::runtimes", "the runtime install task failed: {err}");
        }
    });
    let startup = {
        let client = client.clone();
        let about = super::banner::About {
            data_dir: args.data_dir.display().to_string(),
            region: args.region.clone(),
            account_id: args.account_id.clone(),
            oss_endpoint: oss_endpoint.clone(),
            notification_token: notification_token.clone(),
        };
        let manifest = manifest.clone();
        tokio::task::spawn_blocking(move || {
            start_up(&client, manifest.as_ref().map(|m| &m.0), format, &about)
        })
    };
    startup.await.context("start-up task")??;
    platform.mark_ready();
    if args.watch
        && let Some((manifest, file)) = manifest
    {
        std::thread::Builder::new()
            .name("wasm-fc-watch".into())
            .spawn(move || super::watch::run(client, file, manifest, format))
            .context("starting the watcher")?;
    }
    let served = server.await;
    // A runtime build in progress is stopped (its tools killed), so that the
    // process exits now rather than when the build ends.
    platform.runtimes.stop_installing();
    served.context("server task")?.context("serving")?;
    Ok(())
}

/// Deploys the manifest (if any) and prints the banner.
fn start_up(
    client: &Client,
    manifest: Option<&wasm_fc_api::client::manifest::Manifest>,
    format: Format,
    about: &super::banner::About,
) -> anyhow::Result<()> {
    if let Some(manifest) = manifest {
        let display = Display::new(format);
        let result = wasm_fc_api::client::deploy::deploy(client, manifest, &display);
        display.finish();
        result?;
    }
    let banner = super::banner::collect(client, about)?;
    super::banner::print(&banner, format);
    Ok(())
}

/// Waits for Ctrl-C (SIGINT) or SIGTERM, the signal systemd, `docker stop` and
/// Kubernetes send: both drain the same way. Returns the signal's name.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(err) => {
                tracing::warn!("cannot listen for SIGTERM ({err}); only Ctrl-C drains");
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}
