//! `wasm-fc logstores …`: create, list, show and delete logstores, and
//! `wasm-fc logs --project P --logstore L`: read one, once or followed.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::{ClientArgs, Format};

#[derive(Debug, clap::Subcommand)]
pub enum LogstoresCommand {
    /// Create a logstore.
    Create {
        project: String,
        logstore: String,
        /// Shards (1-64).
        #[arg(long, default_value_t = 1)]
        shards: u32,
        /// Days an entry is kept (1-3650).
        #[arg(long, default_value_t = 30)]
        ttl: u32,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// List a project's logstores.
    List {
        project: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Show a logstore and its shards' cursors.
    Describe {
        project: String,
        logstore: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Delete a logstore and its entries.
    Remove {
        project: String,
        logstore: String,
        #[command(flatten)]
        client: ClientArgs,
    },
}

fn base(project: &str, logstore: Option<&str>) -> String {
    let mut path = format!("/_wasm-fc/log/projects/{project}/logstores");
    if let Some(l) = logstore {
        path.push('/');
        path.push_str(l);
    }
    path
}

pub fn run(command: &LogstoresCommand, format: Format) -> anyhow::Result<()> {
    let print = |value: Value| {
        if format == Format::Json {
            println!("{value}");
        } else {
            println!(
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            );
        }
    };
    match command {
        LogstoresCommand::Create {
            project,
            logstore,
            shards,
            ttl,
            client,
        } => {
            let body = json!({"logstoreName": logstore, "shardCount": shards, "ttl": ttl});
            let reply = client.client()?.call(
                "POST",
                &base(project, None),
                &[],
                body.to_string().as_bytes(),
            )?;
            print(reply.json());
        }
        LogstoresCommand::List { project, client } => {
            print(
                client
                    .client()?
                    .call("GET", &base(project, None), &[], &[])?
                    .json(),
            );
        }
        LogstoresCommand::Describe {
            project,
            logstore,
            client,
        } => {
            print(
                client
                    .client()?
                    .call("GET", &base(project, Some(logstore)), &[], &[])?
                    .json(),
            );
        }
        LogstoresCommand::Remove {
            project,
            logstore,
            client,
        } => {
            client
                .client()?
                .call("DELETE", &base(project, Some(logstore)), &[], &[])?;
            if format == Format::Text {
                println!("removed logstore {project}/{logstore}");
            }
        }
    }
    Ok(())
}

fn print_entry(entry: &Value, format: Format) {
    if format == Format::Json {
        println!("{entry}");
        return;
    }
    let text = |k: &str| entry[k].as_str().unwrap_or_default();
    let time = match text("time") {
        "" => chrono::DateTime::from_timestamp(entry["__time__"].as_i64().unwrap_or(0), 0)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default(),
        t => t.to_string(),
    };
    if entry.get("message").is_some() && entry.get("functionName").is_some() {
        println!(
            "{time} {}/{} {} [{}] {}",
            text("serviceName"),
            text("functionName"),
            text("requestId"),
            text("level"),
            text("message")
        );
        return;
    }
    let mut fields = entry.clone();
    if let Some(map) = fields.as_object_mut() {
        map.retain(|k, _| !k.starts_with("__"));
    }
    println!("{time} shard {} {fields}", entry["__shard__"]);
}

/// `wasm-fc logs --project P --logstore L [--since …] [--tail]`.
pub fn logs(
    client: &ClientArgs,
    project: &str,
    logstore: &str,
    since_ms: Option<i64>,
    limit: usize,
    tail: bool,
    format: Format,
) -> anyhow::Result<()> {
    let client = client.client()?;
    let path = base(project, Some(logstore));
    // Where each shard ends now: the tail goes on from here, and the first
    // read leaves out what lies past it (the tail prints that).
    let heads = client.call("GET", &path, &[], &[])?.json();
    let mut cursors: HashMap<u64, String> = HashMap::new();
    let mut ends: HashMap<u64, i64> = HashMap::new();
    for shard in heads["shards"].as_array().cloned().unwrap_or_default() {
        let id = shard["shardId"].as_u64().unwrap_or(0);
        let end = shard["endCursor"].as_str().unwrap_or_default().to_string();
        ends.insert(
            id,
            wasm_fc_api::control::logstores::cursor::decode(&end, "endCursor").unwrap_or(i64::MAX),
        );
        cursors.insert(id, end);
    }
    let mut query = format!("limit={}", limit.clamp(1, 1000));
    if let Some(since) = since_ms {
        query.push_str(&format!("&from={}", since.div_euclid(1000)));
    }
    let first = client
        .call("GET", &format!("{path}/entries?{query}"), &[], &[])?
        .json();
    let entries = first["logs"].as_array().cloned().unwrap_or_default();
    let mut printed = 0;
    for entry in &entries {
        let shard = entry["__shard__"].as_u64().unwrap_or(0);
        let seq = entry["__cursor__"]
            .as_str()
            .and_then(|c| wasm_fc_api::control::logstores::cursor::decode(c, "cursor").ok())
            .unwrap_or(0);
        if tail && seq >= ends.get(&shard).copied().unwrap_or(i64::MAX) {
            continue;
        }
        print_entry(entry, format);
        printed += 1;
    }
    if printed == 0 && !tail && format == Format::Text {
        println!("no entries in {project}/{logstore} in that time");
    }
    if !tail {
        return Ok(());
    }
    loop {
        for (shard, cursor) in cursors.iter_mut() {
            let reply = client
                .call(
                    "GET",
                    &format!(
                        "{path}/entries?shard={shard}&cursor={}&limit=1000",
                        percent(cursor)
                    ),
                    &[],
                    &[],
                )?
                .json();
            for entry in reply["logs"].as_array().cloned().unwrap_or_default() {
                print_entry(&entry, format);
            }
            if let Some(next) = reply["nextCursor"].as_str() {
                *cursor = next.to_string();
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn percent(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}
