//! Code packages and layers on disk: content-addressed zips and unpacked trees
//! under `<data dir>/code`, merged layer trees under `<data dir>/layers`, and
//! the start-up sweep of what a crash left half-written.
//!
//! On a store several nodes share, the zips live in the store too (by sha256):
//! a package is stored there before the row naming it commits, and a node that
//! lacks it unpacks it from there on first use ([`ControlPlane::local_code`]).
//! The data dir is then a per-node cache of the store's packages.

use std::path::{Path, PathBuf};

use serde_json::Value;
use wasm_fc_engine::Engine;

use super::code;
use super::error::{ApiError, ApiResult, store_error};
use super::model::str_of;
use super::names::{parse_layer_arn, version_key};
use super::plane::ControlPlane;
use super::runtimes::{self, RuntimeKind};
use super::store::Kind;

impl ControlPlane {
    /// Where a code package's zip and unpacked tree live (content-addressed).
    pub fn code_paths(&self, digest: &str) -> (PathBuf, PathBuf) {
        code_paths_in(&self.data_dir, digest)
    }

    /// Checks a function's stored code against its runtime and handler, and
    /// returns its `_wasmDigest`: the sha256 of the handler's Wasm for Wasm
    /// runtimes; empty for Python and Node.js (their code runs on the runtime
    /// component, resolved when the function is loaded), after checking that the
    /// handler's source file is there and the runtime is available.
    pub async fn check_code(&self, function: &serde_json::Map<String, Value>) -> ApiResult<String> {
        let text = |key: &str| {
            function
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let (_, dir) = self.local_code(&text("_codeDigest")).await?;
        let handler = text("handler");
        match runtimes::classify(&text("runtime"))? {
            RuntimeKind::Wasm => {
                crate::control::blocking::run_blocking("reading the handler's Wasm", move || {
                    let (_, wasm) = code::read_handler_wasm(&dir, &handler)?;
                    Ok(Engine::digest(&wasm))
                })
                .await
            }
            kind @ RuntimeKind::Interpreted(language) => {
                code::check_handler_source(&dir, kind, &handler)?;
                self.runtimes.get(language).await?;
                Ok(String::new())
            }
        }
    }

    /// Decodes a base64 zip (function code or a layer), checks it and stores it
    /// unpacked under its digest, on the blocking pool (it can be hundreds of MB);
    /// on a shared store, stores the zip there too, before any row names it.
    pub async fn accept_package(&self, zip_base64: String) -> ApiResult<code::CodePackage> {
        self.store_package(move || {
            code::CodePackage::from_base64(&zip_base64, &code::CodeLimits::default())
        })
        .await
    }

    /// The embedded object store's directory: `oss/` in the data dir (each
    /// node keeps its own).
    pub fn object_store_root(&self) -> PathBuf {
        self.data_dir.join("oss")
    }

    /// Stores the code zip at `bucket/key` in the embedded object store
    /// (`code.ossBucketName` and `code.ossObjectName`). A missing bucket or
    /// object is FC's 400 naming it.
    pub async fn accept_package_from_oss(
        &self,
        bucket: &str,
        key: &str,
    ) -> ApiResult<code::CodePackage> {
        use wasm_fc_objectstore::read::{ReadError, read_object};
        let limit = code::CodeLimits::default().max_zip_bytes;
        let zip = read_object(&self.object_store_root(), bucket, key, limit as u64)
            .await
            .map_err(|e| match e {
                ReadError::NoSuchBucket(_) => ApiError::InvalidArgument(format!(
                    "code.ossBucketName: the OSS bucket {bucket:?} does not exist"
                )),
                ReadError::NoSuchKey { .. } => ApiError::InvalidArgument(format!(
                    "code.ossObjectName: the OSS object {key:?} does not exist in bucket {bucket:?}"
                )),
                ReadError::TooLarge(..) => ApiError::EntityTooLarge(limit),
                ReadError::Io(source) => {
                    ApiError::internal("reading code from the object store", source)
                }
            })?;
        self.store_package(move || Ok(code::CodePackage::from_zip(zip)))
            .await
    }

    /// Decodes a package with `decode` and stores it (and, on a shared store,
    /// shares it).
    async fn store_package(
        &self,
        decode: impl FnOnce() -> ApiResult<code::CodePackage> + Send + 'static,
    ) -> ApiResult<code::CodePackage> {
        let data_dir = self.data_dir.clone();
        let package = crate::control::blocking::run_blocking("storing code", move || {
            let package = decode()?;
            store_zip(&data_dir, &package.digest, &package.zip)?;
            Ok(package)
        })
        .await?;
        if self.store.is_shared() {
            self.store
                .put_code(
                    package.digest.clone(),
                    package.zip.as_slice().into(),
                    super::model::now_ms(),
                )
                .await?;
        }
        Ok(package)
    }

    /// A code package's zip and unpacked tree on this node, unpacked from the
    /// shared store first when this node has not seen it (a function created
    /// on another node). What [`ControlPlane::code_paths`] names, but present.
    pub async fn local_code(&self, digest: &str) -> ApiResult<(PathBuf, PathBuf)> {
        let (zip_path, dir) = self.code_paths(digest);
        if !self.store.is_shared() || (dir.is_dir() && zip_path.is_file()) {
            return Ok((zip_path, dir));
        }
        let zip = self
            .store
            .get_code(digest.to_string())
            .await?
            .ok_or_else(|| {
                tracing::error!(digest, "a stored row names a code package the store lacks");
                ApiError::invariant("reading a code package from the shared store")
            })?;
        let data_dir = self.data_dir.clone();
        let digest = digest.to_string();
        crate::control::blocking::run_blocking("unpacking shared code", move || {
            store_zip(&data_dir, &digest, &zip)
        })
        .await?;
        Ok((zip_path, dir))
    }

    /// The stored layer version an ARN names, or a clear 400.
    pub async fn layer_for_arn(&self, arn: &str) -> ApiResult<Value> {
        let (name, version) = parse_layer_arn(arn).ok_or_else(|| {
            ApiError::InvalidArgument(format!(
                "layer {arn:?} is not a layer ARN (acs:fc:<region>:<uid>:layers/<name>/versions/<n>)"
            ))
        })?;
        self.store
            .get(Kind::Layer, &name, &version_key(&version))
            .await
            .map_err(store_error(Kind::Layer, &name))?
            .ok_or_else(|| ApiError::InvalidArgument(format!("layer {arn:?} does not exist")))
    }

    /// One read-only directory holding the function's layers, merged in order
    /// (a later layer overrides an earlier one's files), built once per layer
    /// list. Concurrent builds each merge into a staging dir of their own
    /// (`<key>.merging.<random>`, removed on failure); the first rename wins.
    pub async fn merged_layers(&self, arns: &[String]) -> ApiResult<PathBuf> {
        let mut digests = Vec::with_capacity(arns.len());
        for arn in arns {
            let layer = self.layer_for_arn(arn).await?;
            let digest = str_of(&layer, "_codeDigest").to_string();
            self.local_code(&digest).await?;
            digests.push(digest);
        }
        let data_dir = self.data_dir.clone();
        crate::control::blocking::run_blocking("merging layers", move || {
            merge_layers(&data_dir, &digests)
        })
        .await
    }
}

/// [`ControlPlane::merged_layers`]'s disk work, on the blocking pool.
fn merge_layers(data_dir: &Path, digests: &[String]) -> ApiResult<PathBuf> {
    let key = Engine::digest(digests.join(",").as_bytes());
    let merged = data_dir.join("layers").join(&key);
    if merged.is_dir() {
        return Ok(merged);
    }
    let staging = merged.with_extension(format!(
        "{MERGING_SUFFIX}.{}",
        uuid::Uuid::new_v4().simple()
    ));
    let built = (|| {
        std::fs::create_dir_all(&staging)?;
        for digest in digests {
            let (_, dir) = code_paths_in(data_dir, digest);
            link_tree(&dir, &staging)?;
        }
        std::fs::rename(&staging, &merged)
    })();
    match built {
        Ok(()) => Ok(merged),
        Err(e) => {
            remove_dir_logged(&staging);
            if merged.is_dir() {
                Ok(merged) // a concurrent build won the rename
            } else {
                Err(ApiError::internal("merging layers", e))
            }
        }
    }
}

/// Where a code package's zip and unpacked tree live under `data_dir`.
pub fn code_paths_in(data_dir: &Path, digest: &str) -> (PathBuf, PathBuf) {
    let dir = data_dir.join("code");
    (dir.join(format!("{digest}.zip")), dir.join(digest))
}

/// Stores and unpacks a zip (function code or a layer) under its digest.
/// Safe to call concurrently with the same package: each call stages under
/// a name of its own and renames atomically; the first rename wins and the
/// others use it (both hold the same bytes).
fn store_zip(data_dir: &Path, digest: &str, zip: &[u8]) -> ApiResult<()> {
    let (zip_path, dir) = code_paths_in(data_dir, digest);
    let io = |e: std::io::Error| ApiError::internal("storing code", e);
    std::fs::create_dir_all(data_dir.join("code")).map_err(io)?;
    if !dir.is_dir() {
        code::unpack(zip, &dir, &code::CodeLimits::default())?;
    }
    if !zip_path.is_file() {
        write_atomically(&zip_path, zip).map_err(io)?;
    }
    Ok(())
}

/// `layers/<key>.merging.<random>`: a layer merge in progress.
const MERGING_SUFFIX: &str = "merging";
/// `code/<digest>.zip.tmp.<random>`: a zip being written.
const ZIP_TEMP_SUFFIX: &str = ".tmp.";

/// Writes `bytes` to a temp file of its own next to `path`, syncs it and renames
/// it onto `path`, so no reader ever sees a partial file and concurrent writers
/// of the same bytes cannot truncate each other. The temp file is removed on failure.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut name = path.as_os_str().to_owned();
    name.push(format!(
        "{ZIP_TEMP_SUFFIX}{}",
        uuid::Uuid::new_v4().simple()
    ));
    let tmp = PathBuf::from(name);
    let written = (|| {
        let mut file = std::fs::File::create_new(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err()
        && let Err(e) = std::fs::remove_file(&tmp)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!("removing {}: {e}", tmp.display());
    }
    written
}

fn remove_dir_logged(dir: &Path) {
    if let Err(e) = std::fs::remove_dir_all(dir)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!("removing {}: {e}", dir.display());
    }
}

/// Removes what a crash can leave in `data_dir`: code staging dirs
/// (`code/*.unpacking*`), zip temp files (`code/*.zip.tmp*`) and layer merges
/// (`layers/*.merging*`). Call it at start-up, before the server takes requests
/// (a request in flight owns its staging dir). Returns how many were removed;
/// what cannot be removed is logged and skipped.
pub fn sweep_staging(data_dir: &Path) -> usize {
    let mut removed = 0;
    for sub in ["code", "layers"] {
        let Ok(entries) = std::fs::read_dir(data_dir.join(sub)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if !is_leftover(sub, &name.to_string_lossy()) {
                continue;
            }
            let path = entry.path();
            let result = match entry.file_type() {
                Ok(kind) if kind.is_dir() => std::fs::remove_dir_all(&path),
                _ => std::fs::remove_file(&path),
            };
            match result {
                Ok(()) => removed += 1,
                Err(e) => tracing::warn!("removing the leftover {}: {e}", path.display()),
            }
        }
    }
    removed
}

/// Whether `name` under `data_dir/<sub>` is a crash leftover (see [`sweep_staging`]).
fn is_leftover(sub: &str, name: &str) -> bool {
    match sub {
        "code" => {
            name.contains(code::STAGING_SUFFIX)
                || name.contains(&format!(".zip{ZIP_TEMP_SUFFIX}"))
                || name.ends_with(".zip.tmp")
        }
        "layers" => name.contains(&format!(".{MERGING_SUFFIX}")),
        _ => false,
    }
}

/// Hard-links (or copies) every file under `from` into `to`, replacing existing files.
fn link_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            link_tree(&entry.path(), &target)?;
        } else {
            let _ = std::fs::remove_file(&target);
            if std::fs::hard_link(entry.path(), &target).is_err() {
                std::fs::copy(entry.path(), &target)?;
            }
        }
    }
    Ok(())
}
