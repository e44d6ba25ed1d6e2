//! The `wasm-fc` commands. `run` hosts the platform; every other command is a
//! signed client of a running platform's API.

pub mod banner;
pub mod deploy;
pub mod invoke;
pub mod logs;
pub mod logstores;
pub mod new;
pub mod nodes;
pub mod resources;
pub mod run;
pub mod runtimes;
pub mod watch;

use std::path::PathBuf;

use anyhow::Context as _;
use serde_json::Value;
use wasm_fc_api::client::Client;
use wasm_fc_api::control::credentials::Credentials;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    /// For people.
    #[default]
    Text,
    /// One JSON document (or one JSON line per record when following).
    Json,
}

/// Where the API is and how to sign for it.
#[derive(Debug, Clone, clap::Args)]
pub struct ClientArgs {
    /// The wasm-fc (or FC) endpoint.
    #[arg(
        long,
        env = "WASM_FC_ENDPOINT",
        default_value = "http://127.0.0.1:9000"
    )]
    pub endpoint: String,
    #[command(flatten)]
    pub keys: AccessKeyArgs,
    /// The data dir of the local `wasm-fc run` whose saved keys to use.
    #[arg(long, env = "WASM_FC_DATA_DIR", default_value = "./.wasm-fc")]
    pub data_dir: PathBuf,
}

/// An FC access key pair given on the command line or in the environment.
#[derive(Debug, Clone, clap::Args)]
pub struct AccessKeyArgs {
    /// Access key id. Default: `run` generates a pair and saves it in its data dir;
    /// the other commands use the pair saved in `--data-dir`.
    #[arg(long, env = "WASM_FC_ACCESS_KEY_ID", requires = "access_key_secret")]
    pub access_key_id: Option<String>,
    /// Access key secret.
    #[arg(
        long,
        env = "WASM_FC_ACCESS_KEY_SECRET",
        hide_env_values = true,
        requires = "access_key_id"
    )]
    pub access_key_secret: Option<String>,
}

impl AccessKeyArgs {
    /// The pair, when both halves were given.
    pub fn credentials(&self) -> Option<Credentials> {
        Some(Credentials {
            access_key_id: self.access_key_id.clone()?,
            access_key_secret: self.access_key_secret.clone()?,
        })
    }
}

impl ClientArgs {
    /// A signing client: explicit keys, else the local platform's saved pair.
    pub fn client(&self) -> anyhow::Result<Client> {
        let credentials = match self.keys.credentials() {
            Some(credentials) => credentials,
            None => Client::local_credentials(&self.data_dir).with_context(|| {
                format!(
                    "no access key: pass --access-key-id/--access-key-secret (or WASM_FC_ACCESS_KEY_ID/SECRET), \
                     or run from where `wasm-fc run` keeps {}/credentials.json",
                    self.data_dir.display()
                )
            })?,
        };
        Ok(Client::new(&self.endpoint, credentials))
    }
}

/// `svc`, `svc/fn` or `svc/fn/trigger`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePath {
    pub service: String,
    pub function: Option<String>,
    pub trigger: Option<String>,
}

impl std::str::FromStr for ResourcePath {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('/').collect();
        if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
            return Err(format!(
                "'{s}' is not svc, svc/fn or svc/fn/trigger (names may not be empty)"
            ));
        }
        Ok(Self {
            service: parts[0].to_string(),
            function: parts.get(1).map(|f| f.to_string()),
            trigger: parts.get(2).map(|t| t.to_string()),
        })
    }
}

/// `svc/fn`, exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionPath {
    pub service: String,
    pub function: String,
}

impl std::str::FromStr for FunctionPath {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('/') {
            Some((service, function))
                if !service.is_empty() && !function.is_empty() && !function.contains('/') =>
            {
                Ok(Self {
                    service: service.to_string(),
                    function: function.to_string(),
                })
            }
            _ => Err(format!("'{s}' is not service/function")),
        }
    }
}

/// Every item of a paged FC list (`limit`/`nextToken`), under `key`.
pub fn list_all(client: &Client, path: &str, key: &str) -> anyhow::Result<Vec<Value>> {
    let mut items = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let query = match &next {
            Some(token) => format!("{path}?limit=100&nextToken={token}"),
            None => format!("{path}?limit=100"),
        };
        let page = client.json("GET", &query, None)?;
        if let Some(list) = page[key].as_array() {
            items.extend(list.iter().cloned());
        }
        match page["nextToken"].as_str() {
            Some(token) if !token.is_empty() => next = Some(token.to_string()),
            _ => return Ok(items),
        }
    }
}

/// Prints a JSON value, pretty.
pub fn print_json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    );
}
