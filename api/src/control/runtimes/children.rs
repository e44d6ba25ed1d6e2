//! Tying the build tools' processes to the `wasm-fc` that started them, so a
//! build never outlives its parent and two builds never share a directory:
//!
//! - each child dies with the thread that spawned it (`PR_SET_PDEATHSIG`,
//!   SIGKILL), even when `wasm-fc` itself is killed with SIGKILL;
//! - each child leads a process group of its own, killed as a whole when the
//!   Rust side drops it (timeout, stop, panic), which takes its own children
//!   (pip's and npm's subprocesses) along;
//! - each child and its descendants carry [`BUILD_MARKER`] in their
//!   environment, naming the runtimes directory, so that the next installer
//!   (holding the directory's lock, hence the only one) can find and kill what
//!   a killed installer's grandchildren left running ([`reap_orphans`]).

use std::path::Path;
use std::process::{Child, Command};

/// The environment variable every build process carries: the absolute runtimes
/// directory it builds into.
pub const BUILD_MARKER: &str = "WASM_FC_RUNTIME_BUILD";

/// Prepares `command` to be tied to this process (see the module docs).
pub fn tie_to_parent(command: &mut Command, runtimes_dir: &Path) {
    command.env(BUILD_MARKER, runtimes_dir);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        command.process_group(0);
    }
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt as _;
        // SAFETY: the closure runs in the forked child before exec, where only
        // async-signal-safe calls are allowed: prctl(2) and getppid(2) are, and
        // the closure allocates nothing (its errors are built from errno codes).
        let parent = std::process::id();
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent may have died between fork and prctl: then the
                // signal was never armed and init or a subreaper is the parent
                // now. Do not start an orphan build (ESRCH: no such process).
                if u32::try_from(libc::getppid()).ok() != Some(parent) {
                    return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                }
                Ok(())
            });
        }
    }
}

/// A spawned build tool whose whole process group is killed (SIGKILL) and
/// reaped when it is dropped, on every path: success (stragglers), failure,
/// timeout, stop or panic.
#[derive(Debug)]
pub struct GroupGuard {
    pub child: Child,
}

impl GroupGuard {
    /// Kills the process group (the child leads it; see [`tie_to_parent`]).
    pub fn kill_group(&mut self) {
        #[cfg(unix)]
        {
            let Ok(pgid) = libc::pid_t::try_from(self.child.id()) else {
                return;
            };
            // SAFETY: kill(2) with a negative pid signals that process group; it
            // touches no memory of ours. The group is the child's own
            // (process_group(0)); while any member of it lives, Linux does not
            // hand its id out again, and when none does, kill fails with ESRCH.
            let rc = unsafe { libc::kill(-pgid, libc::SIGKILL) };
            if rc != 0 {
                let err = std::io::Error::last_os_error();
                if err.raw_os_error() != Some(libc::ESRCH) {
                    tracing::warn!("killing the build's process group {pgid}: {err}");
                }
            }
        }
        #[cfg(not(unix))]
        if let Err(err) = self.child.kill() {
            tracing::warn!("killing the build process: {err}");
        }
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.kill_group();
        if let Err(err) = self.child.wait() {
            tracing::warn!("reaping the build process: {err}");
        }
    }
}

/// Kills every process left from an earlier build into `runtimes_dir` (found by
/// [`BUILD_MARKER`] in its environment). Call it only while holding the
/// directory's install lock: then no live installer owns such a process.
/// Returns how many were killed.
pub fn reap_orphans(runtimes_dir: &Path) -> usize {
    #[cfg(target_os = "linux")]
    {
        let mut marker = format!("{BUILD_MARKER}=").into_bytes();
        marker.extend_from_slice(runtimes_dir.as_os_str().as_encoded_bytes());
        marker.push(0);
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return 0;
        };
        let me = std::process::id();
        let mut killed = 0;
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<libc::pid_t>().ok())
            else {
                continue;
            };
            if u32::try_from(pid).ok() == Some(me) {
                continue;
            }
            // Unreadable (another user's, or gone): not ours.
            let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
                continue;
            };
            let ours = environ
                .split_inclusive(|b| *b == 0)
                .any(|var| var == marker.as_slice());
            if !ours {
                continue;
            }
            // SAFETY: kill(2) on a single pid touches no memory of ours; the
            // process carries this directory's build marker and no live
            // installer owns it (the caller holds the install lock).
            if unsafe { libc::kill(pid, libc::SIGKILL) } == 0 {
                killed += 1;
            }
        }
        killed
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = runtimes_dir;
        0
    }
}
