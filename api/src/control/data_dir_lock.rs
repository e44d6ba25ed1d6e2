//! One `wasm-fc run` per data dir: an exclusive `flock` on `<data dir>/wasm-fc.lock`,
//! held for the life of the platform. The embedded store relies on it: with the
//! lock held, every other owner of a queue lease is a process that has died, so
//! start-up can release those leases at once instead of waiting them out.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;

/// The lock file's name inside the data dir.
pub const LOCK_FILE: &str = "wasm-fc.lock";

/// Holds the data dir's lock until dropped (the kernel releases it when the
/// process dies, however it dies).
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another wasm-fc is running with the data dir {0}: stop it, or give this one another --data-dir"
    )]
    Held(String),
    #[error("cannot lock the data dir {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl DataDirLock {
    /// Takes the lock without waiting.
    pub fn acquire(data_dir: &Path) -> Result<Self, LockError> {
        let path = data_dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.display().to_string(),
            source,
        };
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        // SAFETY: flock on a descriptor this function owns; no memory is passed.
        let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if locked == 0 {
            return Ok(Self { _file: file });
        }
        let error = std::io::Error::last_os_error();
        if error.raw_os_error() == Some(libc::EWOULDBLOCK) {
            Err(LockError::Held(data_dir.display().to_string()))
        } else {
            Err(io(error))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataDirLock::acquire(dir.path()).unwrap();
        assert!(matches!(
            DataDirLock::acquire(dir.path()),
            Err(LockError::Held(_))
        ));
        drop(first);
        DataDirLock::acquire(dir.path()).expect("free again");
    }
}
