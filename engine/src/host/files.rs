//! `fc:function/files`: read-only access to the directories a function was
//! given, for runtimes whose language has no filesystem API (the JS engine).
//! It grants nothing WASI does not: the same directories, read only, each
//! opened as a capability so `..` and symlinks cannot leave it.

use std::io::Read;

use cap_std::ambient_authority;
use cap_std::fs::Dir;

use crate::config::Preopen;

/// Largest file `read-file` returns: 64 MiB, above any source file or bundle.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// The function's directories by guest path, longest path first so `/code/lib`
/// (if mounted separately) wins over `/code`.
#[derive(Debug, Default)]
pub struct ReadableDirs {
    dirs: Vec<(String, Dir)>,
}

impl ReadableDirs {
    /// Opens every preopen; one that cannot be opened is left out (deploy has
    /// already checked they exist, so this only happens if one vanished since).
    pub fn open(preopens: &[Preopen]) -> Self {
        let mut dirs: Vec<(String, Dir)> = preopens
            .iter()
            .filter_map(|p| {
                let dir = Dir::open_ambient_dir(&p.host_path, ambient_authority()).ok()?;
                Some((p.guest_path.trim_end_matches('/').to_string(), dir))
            })
            .collect();
        dirs.sort_by_key(|(guest, _)| std::cmp::Reverse(guest.len()));
        Self { dirs }
    }

    /// The bytes of the file at guest path `path`, or `None` (see the WIT).
    pub fn read(&self, path: &str) -> Option<Vec<u8>> {
        let (dir, relative) = self.dirs.iter().find_map(|(guest, dir)| {
            let rest = path.strip_prefix(guest.as_str())?;
            let rest = rest.strip_prefix('/')?;
            Some((dir, rest))
        })?;
        if relative.is_empty() {
            return None;
        }
        let file = dir.open(relative).ok()?;
        let metadata = file.metadata().ok()?;
        if !metadata.is_file() || metadata.len() > MAX_FILE_BYTES {
            return None;
        }
        let mut bytes = Vec::with_capacity(metadata.len() as usize);
        file.into_std()
            .take(MAX_FILE_BYTES)
            .read_to_end(&mut bytes)
            .ok()?;
        Some(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_inside_the_given_directories() -> std::io::Result<()> {
        let root = tempfile::tempdir()?;
        let code = root.path().join("code");
        std::fs::create_dir_all(code.join("lib"))?;
        std::fs::write(code.join("index.js"), "ok")?;
        std::fs::write(root.path().join("secret"), "no")?;
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.path().join("secret"), code.join("link"))?;
        let dirs = ReadableDirs::open(&[Preopen {
            host_path: code,
            guest_path: "/code".into(),
            writable: false,
        }]);
        assert_eq!(dirs.read("/code/index.js").as_deref(), Some(&b"ok"[..]));
        assert_eq!(dirs.read("/code/../secret"), None);
        assert_eq!(dirs.read("/code/lib/../../secret"), None);
        assert_eq!(
            dirs.read("/code/link"),
            None,
            "a symlink may not leave /code"
        );
        assert_eq!(dirs.read("/code/lib"), None, "directories are not files");
        assert_eq!(dirs.read("/code"), None);
        assert_eq!(dirs.read("/codex/index.js"), None);
        assert_eq!(dirs.read("/etc/passwd"), None);
        assert_eq!(dirs.read("index.js"), None);
        Ok(())
    }
}
