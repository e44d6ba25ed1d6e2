//! `wasm-fc new --template T NAME`: a function project from templates embedded in
//! the binary (works offline), with an `s.yaml` that deploys it as it is. A Rust
//! project vendors the guest SDK, so it builds with `cargo build --offline` once
//! the crates it needs are cached; a Python or Node.js project is its handler in
//! `code/`, run by the installed runtimes.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use super::{Format, print_json};

/// Files of a template: (path in the project, contents).
type Files = &'static [(&'static str, &'static str)];

/// A template: its name, what it is, whether it is a Rust crate (and so gets
/// the shared Cargo files and the vendored SDK), and its own files.
struct Template {
    name: &'static str,
    about: &'static str,
    rust: bool,
    files: Files,
}

const TEMPLATES: &[Template] = &[
    Template {
        name: "event-rust",
        about: "an event function in Rust: handler(event, context) -> result, with a timer trigger",
        rust: true,
        files: &[
            (
                "src/lib.rs",
                include_str!("../../templates/event-rust/lib.rs.tmpl"),
            ),
            (
                "s.yaml",
                include_str!("../../templates/event-rust/s.yaml.tmpl"),
            ),
        ],
    },
    Template {
        name: "http-rust",
        about: "an HTTP function in Rust: handler(request, response, context), with an HTTP trigger",
        rust: true,
        files: &[
            (
                "src/lib.rs",
                include_str!("../../templates/http-rust/lib.rs.tmpl"),
            ),
            (
                "s.yaml",
                include_str!("../../templates/http-rust/s.yaml.tmpl"),
            ),
        ],
    },
    Template {
        name: "event-python",
        about: "an event function in Python: handler(event, context), with an initializer and a timer trigger",
        rust: false,
        files: &[
            (
                "code/index.py",
                include_str!("../../templates/event-python/index.py.tmpl"),
            ),
            (
                "s.yaml",
                include_str!("../../templates/event-python/s.yaml.tmpl"),
            ),
        ],
    },
    Template {
        name: "http-python",
        about: "an HTTP function in Python: a WSGI handler(environ, start_response), with an HTTP trigger",
        rust: false,
        files: &[
            (
                "code/index.py",
                include_str!("../../templates/http-python/index.py.tmpl"),
            ),
            (
                "s.yaml",
                include_str!("../../templates/http-python/s.yaml.tmpl"),
            ),
        ],
    },
    Template {
        name: "event-nodejs",
        about: "an event function in Node.js: handler(event, context, callback), with an initializer and a timer trigger",
        rust: false,
        files: &[
            (
                "code/index.js",
                include_str!("../../templates/event-nodejs/index.js.tmpl"),
            ),
            (
                "s.yaml",
                include_str!("../../templates/event-nodejs/s.yaml.tmpl"),
            ),
        ],
    },
    Template {
        name: "http-nodejs",
        about: "an HTTP function in Node.js: handler(req, resp, context), with an HTTP trigger",
        rust: false,
        files: &[
            (
                "code/index.js",
                include_str!("../../templates/http-nodejs/index.js.tmpl"),
            ),
            (
                "s.yaml",
                include_str!("../../templates/http-nodejs/s.yaml.tmpl"),
            ),
        ],
    },
];

/// Files every Rust template has. The guest SDK's lock file pins the crates it needs, so
/// a build resolves nothing new (and works `--offline` once they are cached).
const SHARED: &[(&str, &str)] = &[
    ("Cargo.lock", include_str!("../../../guest-sdk/Cargo.lock")),
    (
        "Cargo.toml",
        include_str!("../../templates/shared/Cargo.toml.tmpl"),
    ),
    (
        ".gitignore",
        include_str!("../../templates/shared/gitignore.tmpl"),
    ),
];

/// The guest SDK, vendored into each project under `wasm-fc-guest/`.
const GUEST_SDK: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../../../guest-sdk/Cargo.toml")),
    ("src/lib.rs", include_str!("../../../guest-sdk/src/lib.rs")),
    (
        "src/context.rs",
        include_str!("../../../guest-sdk/src/context.rs"),
    ),
    (
        "src/error.rs",
        include_str!("../../../guest-sdk/src/error.rs"),
    ),
    (
        "src/event.rs",
        include_str!("../../../guest-sdk/src/event.rs"),
    ),
    (
        "src/http.rs",
        include_str!("../../../guest-sdk/src/http.rs"),
    ),
    ("src/log.rs", include_str!("../../../guest-sdk/src/log.rs")),
    (
        "src/tablestore.rs",
        include_str!("../../../guest-sdk/src/tablestore.rs"),
    ),
    (
        "wit/fc-function.wit",
        include_str!("../../../engine/wit/fc-function.wit"),
    ),
];

/// Where the SDK finds the WIT in the repo, and in a vendored copy.
const WIT_PATH_IN_REPO: &str = "\"../engine/wit\"";
const WIT_PATH_VENDORED: &str = "\"wit\"";

#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The function (and service, and crate) name: letters, digits, `-` and `_`, starting with a letter.
    pub name: Option<String>,
    /// Which template.
    #[arg(short, long, default_value = "event-rust")]
    pub template: String,
    /// Where to create the project (default: ./NAME).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// List the templates.
    #[arg(long)]
    pub list: bool,
}

fn valid_name(name: &str) -> bool {
    name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn render(text: &str, name: &str) -> String {
    text.replace("{{name}}", name)
        .replace("{{crate}}", name)
        .replace("{{crate_file}}", &name.replace('-', "_"))
}

fn write(dir: &Path, relative: &str, contents: &str) -> anyhow::Result<()> {
    let path = dir.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))
}

pub fn new(args: &NewArgs, format: Format) -> anyhow::Result<()> {
    if args.list || args.name.is_none() {
        for template in TEMPLATES {
            println!("{:<13} {}", template.name, template.about);
        }
        if args.name.is_none() && !args.list {
            bail!("give a NAME: wasm-fc new --template <template> NAME");
        }
        return Ok(());
    }
    let name = args.name.as_deref().unwrap_or_default();
    if !valid_name(name) {
        bail!(
            "'{name}' is not a valid FC name: letters, digits, '-' and '_', starting with a letter, at most 64"
        );
    }
    let Some(template) = TEMPLATES.iter().find(|t| t.name == args.template) else {
        let names: Vec<&str> = TEMPLATES.iter().map(|t| t.name).collect();
        bail!(
            "no template '{}'; there are: {}",
            args.template,
            names.join(", ")
        );
    };
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from(name));
    if dir.exists()
        && std::fs::read_dir(&dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        bail!("{} exists and is not empty", dir.display());
    }
    let shared: &[(&str, &str)] = if template.rust { SHARED } else { &[] };
    for (relative, text) in shared.iter().chain(template.files.iter()) {
        write(&dir, relative, &render(text, name))?;
    }
    let sdk: &[(&str, &str)] = if template.rust { GUEST_SDK } else { &[] };
    for (relative, text) in sdk {
        let text = if *relative == "src/lib.rs" {
            if !text.contains(WIT_PATH_IN_REPO) {
                bail!(
                    "the embedded guest SDK no longer names {WIT_PATH_IN_REPO}; cannot vendor it"
                );
            }
            text.replace(WIT_PATH_IN_REPO, WIT_PATH_VENDORED)
        } else {
            text.to_string()
        };
        write(&dir.join("wasm-fc-guest"), relative, &text)?;
    }
    match format {
        Format::Json => {
            print_json(&serde_json::json!({ "created": dir, "template": args.template }))
        }
        Format::Text => {
            println!("created {} from {}", dir.display(), args.template);
            println!();
            println!("  cd {}", dir.display());
            let action = if template.rust {
                "builds, deploys"
            } else {
                "deploys"
            };
            println!("  wasm-fc run -f s.yaml          # {action} and serves it");
            if template.name.starts_with("http-") {
                // Its HTTP trigger; InvokeFunction also works (`POST /invoke`).
                println!("  curl -d fc http://127.0.0.1:9000/2016-08-15/proxy/{name}/{name}/hello");
            }
            println!("  wasm-fc invoke {name}/{name} -e '{{\"name\":\"fc\"}}'");
        }
    }
    Ok(())
}
