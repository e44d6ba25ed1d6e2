//! `wasm-fc`: a local Alibaba Function Compute that runs functions as WebAssembly.

mod cli;

/// mimalloc: glibc's malloc took a fifth of the CPU of a warm HTTP-trigger
/// request (many small, short-lived allocations across threads).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use cli::{ClientArgs, Format, ResourcePath};

#[derive(Parser)]
#[command(
    name = "wasm-fc",
    version,
    about = "Alibaba Function Compute's API, running functions as WebAssembly"
)]
struct Cli {
    /// Output: text for people, json for programs.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// How wasm-fc's own log lines look (filter them with WASM_FC_LOG, e.g. `info,wasm_fc_api=debug`).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the platform: the FC API, triggers, timers and the async queue.
    Run(cli::run::RunArgs),
    /// Deploy a manifest (s.yaml or template.yml) to a running platform.
    Deploy(cli::deploy::DeployArgs),
    /// Invoke a function and print its log and result.
    Invoke(cli::invoke::InvokeArgs),
    /// Read a function's logs, or a logstore's (--project P --logstore L).
    Logs(cli::logs::LogsArgs),
    /// List the live nodes sharing this platform's store (`*` marks the one answering).
    Nodes {
        #[command(flatten)]
        client: ClientArgs,
    },
    /// List services, functions and triggers.
    List {
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Show a service, function or trigger.
    Describe {
        /// svc, svc/fn or svc/fn/trigger
        target: ResourcePath,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Remove a service (with everything in it), a function (with its triggers) or a trigger.
    Remove {
        /// svc, svc/fn or svc/fn/trigger
        target: ResourcePath,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Create a function project from a built-in template.
    New(cli::new::NewArgs),
    /// Logstores (the local Log Service): create, list, describe, remove.
    #[command(subcommand)]
    Logstores(cli::logstores::LogstoresCommand),
    /// The Python and Node.js runtimes: install (build once, precompile) or list.
    #[command(subcommand)]
    Runtimes(cli::runtimes::RuntimesCommand),
}

fn init_tracing(format: LogFormat) {
    // s3s logs every refused S3 request (a wrong signature, a missing key) at
    // ERROR; the object store logs its own 5xx answers instead, so its lines
    // are off unless WASM_FC_LOG names them (`s3s=debug`).
    let filter = tracing_subscriber::EnvFilter::try_from_env("WASM_FC_LOG")
        .unwrap_or_else(|_| "info".into());
    let filter = match "s3s=off".parse() {
        Ok(quiet) if !std::env::var("WASM_FC_LOG").is_ok_and(|f| f.contains("s3s")) => {
            filter.add_directive(quiet)
        }
        _ => filter,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    let format = cli.format;
    let result = match cli.command {
        Command::Run(args) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| runtime.block_on(cli::run::run(args, format))),
        Command::Deploy(args) => cli::deploy::deploy(&args, format),
        Command::Invoke(args) => match cli::invoke::invoke(&args, format) {
            Ok(true) => Ok(()),
            Ok(false) => return std::process::ExitCode::FAILURE,
            Err(err) => Err(err),
        },
        Command::Logs(args) => cli::logs::logs(&args, format),
        Command::Nodes { client } => cli::nodes::nodes(&client, format),
        Command::List { client } => cli::resources::list(&client, format),
        Command::Describe { target, client } => cli::resources::describe(&client, &target),
        Command::Remove { target, client } => cli::resources::remove(&client, &target, format),
        Command::New(args) => cli::new::new(&args, format),
        Command::Runtimes(command) => cli::runtimes::run(&command, format),
        Command::Logstores(command) => cli::logstores::run(&command, format),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
