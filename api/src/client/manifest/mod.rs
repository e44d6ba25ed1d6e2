//! FC manifests: Serverless Devs `s.yaml` (editions 1.0.0 and 3.0.0) and funcraft
//! `template.yml`, read into one model of services, functions (with where their
//! code is and an optional build command) and triggers, as FC API bodies.
//!
//! Every error names the file, line and field (`s.yaml:14:7: services.app.props.function.timeout: ...`).

mod cursor;
mod fc3;
mod funcraft;
pub mod package;
mod sdevs;
pub mod yaml;

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

pub use cursor::Cursor;
use yaml::{Document, Position};

/// Which manifest format a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Flavor {
    /// Serverless Devs `s.yaml`, edition 1.0.0 (`fc`) or 3.0.0 (`fc3`).
    ServerlessDevs,
    /// funcraft `template.yml` (`Aliyun::Serverless`).
    Funcraft,
}

/// A manifest, ready to deploy.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub flavor: Flavor,
    pub services: Vec<ServiceSpec>,
    /// Keys that were understood but have no effect here, and keys that were not known.
    pub warnings: Vec<String>,
}

/// A service and its functions.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceSpec {
    pub name: String,
    /// The CreateService/UpdateService body.
    pub body: Value,
    pub functions: Vec<FunctionSpec>,
    pub at: Location,
    /// An FC 3.0 function (`s.yaml` 3.0.0): deployed through the FC 3.0 API,
    /// whose one function is named in full (`name` or `service$function`).
    pub fc3: bool,
}

/// A function, its code and its triggers.
#[derive(Debug, Clone, Serialize)]
pub struct FunctionSpec {
    pub name: String,
    /// The CreateFunction body without `code`.
    pub body: Value,
    pub code: CodeSource,
    /// Where `codeUri` is written (errors about the code point here).
    pub code_at: Location,
    /// The wasm-fc extension `x-wasm-fc: {build: "..."}`: run before packaging.
    pub build: Option<Build>,
    pub triggers: Vec<TriggerSpec>,
    pub at: Location,
}

/// Where a function's code comes from (`codeUri`), resolved against the manifest's dir.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum CodeSource {
    /// A directory, zipped without what `.fcignore`/`.funignore` exclude.
    Dir(PathBuf),
    /// A ready zip.
    Zip(PathBuf),
    /// A single `.wasm` file (wasm-fc extension), packaged as the handler's module.
    Wasm(PathBuf),
    /// `oss://bucket/object`: a zip in the platform's embedded object store,
    /// sent as `code.ossBucketName` and `code.ossObjectName`.
    Oss { bucket: String, object: String },
}

impl CodeSource {
    /// The local file or directory the code comes from (`None` for OSS).
    pub fn path(&self) -> Option<&Path> {
        match self {
            Self::Dir(p) | Self::Zip(p) | Self::Wasm(p) => Some(p),
            Self::Oss { .. } => None,
        }
    }
}

/// A build command and the directory it runs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Build {
    pub command: String,
    pub dir: PathBuf,
}

/// A trigger.
#[derive(Debug, Clone, Serialize)]
pub struct TriggerSpec {
    pub name: String,
    /// The CreateTrigger body.
    pub body: Value,
    pub at: Location,
}

/// A place in a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub field: String,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.col)?;
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        Ok(())
    }
}

/// Why a manifest cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{file}: {error}", file = .file.display())]
    Read {
        file: PathBuf,
        error: std::io::Error,
    },
    #[error("{at}: {message}")]
    Invalid { at: Location, message: String },
}

impl ManifestError {
    pub fn invalid(at: Location, message: impl Into<String>) -> Self {
        Self::Invalid {
            at,
            message: message.into(),
        }
    }
}

/// Looks up environment variables for `${env.X}` (the process environment, or a
/// fixed map in tests).
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The function fields shared by both formats, with their FC API names and types.
/// (s.yaml uses the API's camelCase; funcraft the same names in PascalCase.)
pub(crate) const FUNCTION_FIELDS: &[(&str, FieldType)] = &[
    ("description", FieldType::Text),
    ("runtime", FieldType::Text),
    ("handler", FieldType::Text),
    ("memorySize", FieldType::Int),
    ("timeout", FieldType::Int),
    ("initializer", FieldType::Text),
    ("initializationTimeout", FieldType::Int),
    ("environmentVariables", FieldType::TextMap),
    ("instanceConcurrency", FieldType::Int),
    ("instanceType", FieldType::Text),
    ("layers", FieldType::List),
    ("caPort", FieldType::Int),
    ("customRuntimeConfig", FieldType::Map),
    ("instanceLifecycleConfig", FieldType::Map),
];

/// The JSON type an FC field must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldType {
    Text,
    Int,
    Bool,
    Map,
    /// A mapping whose values are strings (YAML's `PORT: 80` becomes `"80"`).
    TextMap,
    List,
}

/// Checks `cursor` against `kind` and returns the value for an API body.
pub(crate) fn typed(cursor: &Cursor<'_>, kind: FieldType) -> Result<Value, ManifestError> {
    Ok(match kind {
        FieldType::Text => Value::String(cursor.as_text()?),
        FieldType::Int => Value::from(cursor.as_int()?),
        FieldType::Bool => Value::Bool(cursor.as_bool()?),
        FieldType::Map => {
            cursor.entries()?;
            cursor.value.clone()
        }
        FieldType::TextMap => {
            let mut out = serde_json::Map::new();
            for (key, value) in cursor.entries()? {
                out.insert(key, Value::String(value.as_text()?));
            }
            Value::Object(out)
        }
        FieldType::List => {
            cursor.items()?;
            cursor.value.clone()
        }
    })
}

/// How `codeUri` is read: a `.zip`, a `.wasm` (wasm-fc extension), or a directory.
/// Without a build command the path must exist now.
pub(crate) fn code_source(
    code_uri: &Cursor<'_>,
    has_build: bool,
) -> Result<CodeSource, ManifestError> {
    let text = code_uri.as_str()?;
    if let Some(location) = text.strip_prefix("oss://") {
        return match location.split_once('/') {
            Some((bucket, object)) if !bucket.is_empty() && !object.is_empty() => {
                Ok(CodeSource::Oss {
                    bucket: bucket.to_string(),
                    object: object.to_string(),
                })
            }
            _ => Err(code_uri.error(
                "codeUri oss:// must name a bucket and an object: oss://bucket/path/code.zip",
            )),
        };
    }
    let path = code_uri.resolve(text);
    let lower = text.to_ascii_lowercase();
    let source = if lower.ends_with(".zip") || lower.ends_with(".jar") {
        CodeSource::Zip(path)
    } else if lower.ends_with(".wasm") {
        CodeSource::Wasm(path)
    } else {
        CodeSource::Dir(path)
    };
    if let Some(path) = source.path()
        && !has_build
        && !path.exists()
    {
        return Err(code_uri.error(format!(
            "{} does not exist (add `x-wasm-fc: {{build: ...}}` if a build makes it)",
            path.display()
        )));
    }
    Ok(source)
}

/// The wasm-fc extension key on a function: `x-wasm-fc: {build: "command"}`.
pub(crate) fn extension(
    function: &Cursor<'_>,
    warnings: &mut Vec<String>,
) -> Result<Option<Build>, ManifestError> {
    let Some(ext) = function.get(EXTENSION_KEY) else {
        return Ok(None);
    };
    ext.entries()?;
    ext.unknown_keys(&["build"], warnings);
    Ok(match ext.get("build") {
        Some(command) => Some(Build {
            command: command.as_str()?.to_string(),
            dir: function.base.to_path_buf(),
        }),
        None => None,
    })
}

/// The wasm-fc extension key, accepted on a function in both formats.
pub const EXTENSION_KEY: &str = "x-wasm-fc";

/// Reads a manifest with the process environment.
pub fn load(file: &Path) -> Result<Manifest, ManifestError> {
    load_with_env(file, &|name| std::env::var(name).ok())
}

/// Reads a manifest, resolving `${env.X}` through `env`.
pub fn load_with_env(file: &Path, env: EnvLookup<'_>) -> Result<Manifest, ManifestError> {
    let text = std::fs::read_to_string(file).map_err(|error| ManifestError::Read {
        file: file.to_path_buf(),
        error,
    })?;
    parse(&text, file, env)
}

/// Parses manifest text that lives at `file` (relative paths resolve against its dir).
pub fn parse(text: &str, file: &Path, env: EnvLookup<'_>) -> Result<Manifest, ManifestError> {
    let document = Document::parse(text).map_err(|e| {
        ManifestError::invalid(
            Location {
                file: file.to_path_buf(),
                line: e.at.line,
                col: e.at.col,
                field: e.field,
            },
            e.message,
        )
    })?;
    let base = file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let root = Cursor::root(&document, file, &base);
    if !document.root.is_object() {
        return Err(root.error("a manifest is a YAML mapping"));
    }
    if document.root.get("ROSTemplateFormatVersion").is_some()
        || document.root.get("Transform").is_some()
        || (document.root.get("Resources").is_some() && document.root.get("edition").is_none())
    {
        return funcraft::read(root);
    }
    sdevs::read(root, env)
}

/// Where a field is, for errors raised after parsing (e.g. by the server).
pub fn location(document: &Document, file: &Path, field: &str) -> Location {
    let Position { line, col } = document.position(field);
    Location {
        file: file.to_path_buf(),
        line,
        col,
        field: field.to_string(),
    }
}
