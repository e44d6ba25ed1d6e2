//! `wasm-fc invoke svc/fn`: InvokeFunction with the log tail, printed as FC prints it.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use anyhow::Context as _;
use base64::Engine as _;
use serde_json::json;

use super::{ClientArgs, Format, FunctionPath, print_json};

#[derive(Debug, clap::Args)]
pub struct InvokeArgs {
    /// The function, as `service/function`.
    pub target: FunctionPath,
    /// The event, as a string (usually JSON).
    #[arg(short = 'e', long = "event", conflicts_with = "event_file")]
    pub event: Option<String>,
    /// Read the event from this file (`-` is stdin). Without -e or -f, a piped stdin is the event.
    #[arg(short = 'f', long = "event-file")]
    pub event_file: Option<PathBuf>,
    /// Invoke asynchronously (`X-Fc-Invocation-Type: Async`): prints the request id.
    #[arg(long = "async")]
    pub is_async: bool,
    /// LATEST (default), a version id or an alias.
    #[arg(long)]
    pub qualifier: Option<String>,
    #[command(flatten)]
    pub client: ClientArgs,
}

fn event(args: &InvokeArgs) -> anyhow::Result<Vec<u8>> {
    if let Some(event) = &args.event {
        return Ok(event.clone().into_bytes());
    }
    let mut bytes = Vec::new();
    match &args.event_file {
        Some(path) if path.as_os_str() == "-" => {
            std::io::stdin().read_to_end(&mut bytes)?;
        }
        Some(path) => {
            bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?
        }
        None if !std::io::stdin().is_terminal() => {
            std::io::stdin().read_to_end(&mut bytes)?;
        }
        None => {}
    }
    Ok(bytes)
}

/// Runs the command; the exit status is 1 when the function failed.
pub fn invoke(args: &InvokeArgs, format: Format) -> anyhow::Result<bool> {
    let client = args.client.client()?;
    let payload = event(args)?;
    let service = match &args.qualifier {
        Some(q) => format!("{}.{q}", args.target.service),
        None => args.target.service.clone(),
    };
    let path = format!(
        "{}/services/{service}/functions/{}/invocations",
        wasm_fc_api::client::API_PREFIX,
        args.target.function
    );
    let headers: &[(&str, &str)] = if args.is_async {
        &[("x-fc-invocation-type", "Async")]
    } else {
        &[("x-fc-invocation-type", "Sync"), ("x-fc-log-type", "Tail")]
    };
    let reply = client.call("POST", &path, headers, &payload)?;
    let request_id = reply
        .header("x-fc-request-id")
        .unwrap_or_default()
        .to_string();
    if args.is_async {
        match format {
            Format::Json => print_json(&json!({ "requestId": request_id, "async": true })),
            Format::Text => println!(
                "FC Invoke accepted (async) RequestId: {request_id}\nSee its log with: wasm-fc logs {}/{} --request-id {request_id}",
                args.target.service, args.target.function
            ),
        }
        return Ok(true);
    }
    let log = reply
        .header("x-fc-log-result")
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let error_type = reply.header("x-fc-error-type").map(str::to_string);
    let duration_ms: f64 = reply
        .header("x-fc-invocation-duration")
        .and_then(|d| d.parse().ok())
        .unwrap_or(0.0);
    let memory_mb: f64 = reply
        .header("x-fc-max-memory-usage")
        .and_then(|d| d.parse().ok())
        .unwrap_or(0.0);
    let result = String::from_utf8_lossy(&reply.body).into_owned();
    match format {
        Format::Json => print_json(&json!({
            "requestId": request_id, "log": log, "result": result, "errorType": error_type,
            "durationMs": duration_ms, "maxMemoryUsageMB": memory_mb,
        })),
        Format::Text => {
            print!("{log}");
            if !log.is_empty() && !log.ends_with('\n') {
                println!();
            }
            println!();
            match &error_type {
                Some(kind) => println!("FC Invoke Result ({kind}):"),
                None => println!("FC Invoke Result:"),
            }
            println!("{result}");
            println!();
            println!(
                "Duration: {duration_ms} ms, Max Memory Used: {memory_mb:.2} MB, RequestId: {request_id}"
            );
        }
    }
    Ok(error_type.is_none())
}
