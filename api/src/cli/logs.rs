//! `wasm-fc logs svc/fn`: the function logs the server keeps, once or followed;
//! `wasm-fc logs --project P --logstore L`: a logstore ([`super::logstores`]).

use std::time::Duration;

use serde_json::Value;

use super::{ClientArgs, Format, FunctionPath};

#[derive(Debug, clap::Args)]
pub struct LogsArgs {
    /// The function, as `service/function` (or give --project and --logstore).
    #[arg(required_unless_present = "logstore")]
    pub target: Option<FunctionPath>,
    /// Read a logstore of this project instead of a function's logs.
    #[arg(long, requires = "logstore", conflicts_with = "target")]
    pub project: Option<String>,
    /// The logstore to read (with --project).
    #[arg(long, requires = "project")]
    pub logstore: Option<String>,
    /// Keep printing new invocations' logs as they arrive (Ctrl-C to stop).
    #[arg(long)]
    pub tail: bool,
    /// Only this invocation.
    #[arg(long)]
    pub request_id: Option<String>,
    /// Only newer than this: a duration (`30s`, `10m`, `2h`, `1d`), an RFC 3339 time or Unix ms.
    #[arg(long)]
    pub since: Option<String>,
    /// At most this many invocations (the newest). Default 100.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `--since` as Unix ms.
pub fn since_ms(text: &str, now_ms: i64) -> Result<i64, String> {
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(time.timestamp_millis());
    }
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: i64 = number
        .parse()
        .map_err(|_| format!("--since '{text}': expected 30s, 10m, 2h, 1d, RFC 3339 or Unix ms"))?;
    let unit_ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("--since '{text}': the unit must be s, m, h or d")),
    };
    Ok(now_ms - n * unit_ms)
}

fn print_record(record: &Value, format: Format) {
    if format == Format::Json {
        println!("{record}");
        return;
    }
    let text = |k: &str| record[k].as_str().unwrap_or_default().to_string();
    let time = chrono::DateTime::from_timestamp_millis(record["timeMs"].as_i64().unwrap_or(0))
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default();
    let id = text("requestId");
    println!(
        "{time} {}/{} [{}] {} {:.2} ms, {:.2} MB{}",
        text("service"),
        text("function"),
        text("trigger"),
        text("status"),
        record["durationMs"].as_f64().unwrap_or(0.0),
        record["maxMemoryMb"].as_f64().unwrap_or(0.0),
        if record["coldStart"] == true {
            ", cold start"
        } else {
            ""
        },
    );
    println!("FC Invoke Start RequestId: {id}");
    let log = text("log");
    print!("{log}");
    if !log.is_empty() && !log.ends_with('\n') {
        println!();
    }
    println!("FC Invoke End RequestId: {id}");
}

pub fn logs(args: &LogsArgs, format: Format) -> anyhow::Result<()> {
    let since_arg = match &args.since {
        Some(text) => {
            Some(since_ms(text, wasm_fc_api::invoke::queue::now_ms()).map_err(anyhow::Error::msg)?)
        }
        None => None,
    };
    let target = match (&args.target, &args.project, &args.logstore) {
        (_, Some(project), Some(logstore)) => {
            return super::logstores::logs(
                &args.client,
                project,
                logstore,
                since_arg,
                args.limit,
                args.tail,
                format,
            );
        }
        (Some(target), ..) => target,
        _ => anyhow::bail!("give service/function, or --project and --logstore"),
    };
    let client = args.client.client()?;
    // The cursor: the newest record's millisecond. Later polls re-read that
    // millisecond (records finishing in the same ms may arrive in different polls)
    // and skip the request ids already printed at it.
    let mut since = since_arg;
    let base = format!("/_wasm-fc/logs/{}/{}", target.service, target.function);
    let mut printed_at_cursor: std::collections::HashSet<String> = Default::default();
    let mut first = true;
    loop {
        let mut query = vec![format!("limit={}", args.limit)];
        let query_since = match since {
            Some(cursor) if !printed_at_cursor.is_empty() => Some(cursor - 1),
            other => other,
        };
        if let Some(since) = query_since {
            query.push(format!("since={since}"));
        }
        if let Some(id) = &args.request_id {
            query.push(format!(
                "requestId={}",
                percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC)
            ));
        }
        let reply = client.call("GET", &format!("{base}?{}", query.join("&")), &[], &[])?;
        let records = reply.json()["records"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if first && records.is_empty() && !args.tail && format == Format::Text {
            println!("no logs for {}/{} yet", target.service, target.function);
        }
        for record in &records {
            let time = record["timeMs"].as_i64();
            let id = record["requestId"].as_str().unwrap_or_default();
            if time.is_some() && time == since && printed_at_cursor.contains(id) {
                continue;
            }
            print_record(record, format);
            if time > since {
                since = time;
                printed_at_cursor.clear();
            }
            if time == since {
                printed_at_cursor.insert(id.to_string());
            }
        }
        if !args.tail {
            return Ok(());
        }
        first = false;
        std::thread::sleep(Duration::from_millis(500));
    }
}
