//! Packages a function's code as the zip CreateFunction takes.
//!
//! - A directory is zipped without what `.fcignore` (Serverless Devs) or
//!   `.funignore` (funcraft) exclude, in gitignore syntax; those files are read
//!   from the code directory and from the manifest's directory. `.git`, `.s`,
//!   `.fun` and `.wasm-fc` are always left out.
//! - A `.zip` is sent as it is.
//! - A `.wasm` becomes a zip holding it as the handler's module (`index.handler` →
//!   `index.wasm`).
//!
//! Zips are deterministic (sorted entries, fixed timestamps), so unchanged code
//! gives the same checksum and a redeploy compiles nothing.

use std::io::Write;
use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use zip::write::SimpleFileOptions;

use super::CodeSource;

/// The files whose patterns exclude code from a directory package.
pub const IGNORE_FILES: [&str; 2] = [".fcignore", ".funignore"];

/// Directories never packaged.
const ALWAYS_IGNORED: [&str; 4] = [".git", ".s", ".fun", ".wasm-fc"];

/// Why code could not be packaged.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("{path}: {error}", path = .path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PackageError + '_ {
    move |error| PackageError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// The zip bytes for `source`; `handler` names the module a `.wasm` becomes;
/// `manifest_dir` is also searched for ignore files.
pub fn package(
    source: &CodeSource,
    handler: &str,
    manifest_dir: &Path,
) -> Result<Vec<u8>, PackageError> {
    match source {
        CodeSource::Zip(path) => std::fs::read(path).map_err(io(path)),
        CodeSource::Wasm(path) => {
            let bytes = std::fs::read(path).map_err(io(path))?;
            if !bytes.starts_with(b"\0asm") {
                return Err(PackageError::Invalid(format!(
                    "{} is not WebAssembly",
                    path.display()
                )));
            }
            let module = handler
                .rsplit_once('.')
                .map(|(m, _)| m)
                .filter(|m| !m.is_empty())
                .ok_or_else(|| {
                    PackageError::Invalid(format!("handler {handler:?} must be <file>.<entry>"))
                })?;
            zip_files(&[(format!("{module}.wasm"), bytes)])
        }
        CodeSource::Oss { bucket, object } => Err(PackageError::Invalid(format!(
            "oss://{bucket}/{object} is read by the platform, not packaged"
        ))),
        CodeSource::Dir(dir) => {
            let ignore = ignore_rules(dir, manifest_dir)?;
            let mut files = Vec::new();
            collect(dir, dir, &ignore, &mut files)?;
            files.sort_by(|a, b| a.0.cmp(&b.0));
            zip_files(&files)
        }
    }
}

fn ignore_rules(dir: &Path, manifest_dir: &Path) -> Result<Gitignore, PackageError> {
    let mut builder = GitignoreBuilder::new(dir);
    for base in [manifest_dir, dir] {
        for name in IGNORE_FILES {
            let file = base.join(name);
            if file.is_file()
                && let Some(err) = builder.add(&file)
            {
                return Err(PackageError::Invalid(format!("{}: {err}", file.display())));
            }
        }
    }
    builder
        .build()
        .map_err(|e| PackageError::Invalid(format!("ignore rules: {e}")))
}

fn collect(
    root: &Path,
    dir: &Path,
    ignore: &Gitignore,
    files: &mut Vec<(String, Vec<u8>)>,
) -> Result<(), PackageError> {
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let path = entry.path();
        let file_type = entry.file_type().map_err(io(&path))?;
        let is_dir = file_type.is_dir() || (file_type.is_symlink() && path.is_dir());
        let name = entry.file_name();
        if is_dir && ALWAYS_IGNORED.iter().any(|n| name == *n) {
            continue;
        }
        if ignore.matched(&path, is_dir).is_ignore() {
            continue;
        }
        if is_dir {
            collect(root, &path, ignore, files)?;
        } else {
            let relative = path.strip_prefix(root).map_err(|_| {
                PackageError::Invalid(format!("{} is outside {}", path.display(), root.display()))
            })?;
            let name = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            if IGNORE_FILES.contains(&name.as_str()) {
                continue;
            }
            files.push((name, std::fs::read(&path).map_err(io(&path))?));
        }
    }
    Ok(())
}

fn zip_files(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, PackageError> {
    let mut buffer = std::io::Cursor::new(Vec::new());
    let zip_error =
        |e: zip::result::ZipError| PackageError::Invalid(format!("writing the zip: {e}"));
    {
        let mut writer = zip::ZipWriter::new(&mut buffer);
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default());
        for (name, bytes) in files {
            writer
                .start_file(name.as_str(), options)
                .map_err(zip_error)?;
            writer
                .write_all(bytes)
                .map_err(|e| PackageError::Invalid(format!("writing the zip: {e}")))?;
        }
        writer.finish().map_err(zip_error)?;
    }
    Ok(buffer.into_inner())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn names(zip: &[u8]) -> Vec<String> {
        let archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
        (0..archive.len())
            .map(|i| archive.name_for_index(i).unwrap().unwrap().to_string())
            .collect()
    }

    #[test]
    fn honours_fcignore_and_funignore_and_is_deterministic() {
        let dir = tempfile::tempdir().unwrap();
        let code = dir.path().join("code");
        std::fs::create_dir_all(code.join("node_modules/x")).unwrap();
        std::fs::create_dir_all(code.join(".git")).unwrap();
        std::fs::write(code.join("index.wasm"), b"\0asm").unwrap();
        std::fs::write(code.join("notes.md"), b"x").unwrap();
        std::fs::write(code.join("keep.log"), b"x").unwrap();
        std::fs::write(code.join("node_modules/x/a.js"), b"x").unwrap();
        std::fs::write(code.join(".git/HEAD"), b"x").unwrap();
        std::fs::write(code.join(".fcignore"), "node_modules/\n*.md\n").unwrap();
        std::fs::write(dir.path().join(".funignore"), "*.log\n").unwrap();
        let source = CodeSource::Dir(code);
        let zip = package(&source, "index.handler", dir.path()).unwrap();
        assert_eq!(names(&zip), vec!["index.wasm"]);
        assert_eq!(zip, package(&source, "index.handler", dir.path()).unwrap());
    }

    #[test]
    fn a_wasm_file_becomes_the_handler_module() {
        let dir = tempfile::tempdir().unwrap();
        let wasm = dir.path().join("built.wasm");
        std::fs::write(&wasm, b"\0asm\x01\0\0\0").unwrap();
        let zip = package(&CodeSource::Wasm(wasm.clone()), "sub/app.main", dir.path()).unwrap();
        assert_eq!(names(&zip), vec!["sub/app.wasm"]);
        std::fs::write(&wasm, b"text").unwrap();
        assert!(package(&CodeSource::Wasm(wasm), "index.handler", dir.path()).is_err());
    }
}
