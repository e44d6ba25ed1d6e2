//! Function logs: what each invocation's guest wrote, echoed to the terminal with a
//! `service/function requestId` prefix and kept per function under
//! `<data dir>/logs/<service>/<function>.jsonl` (one JSON record per invocation).
//!
//! Bounded: a file rotates to `<function>.1.jsonl` past [`MAX_FILE_BYTES`], so one
//! function keeps at most twice that. Writes happen on one writer thread fed by a
//! bounded channel; when it is full, records are dropped (and counted) rather than
//! blocking an invocation.

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};

use serde::{Deserialize, Serialize};

/// A log file rotates past this size (4 MiB); with one rotated file kept, a function's
/// logs take at most 8 MiB.
pub const MAX_FILE_BYTES: u64 = 4 << 20;

/// Records waiting for the writer thread before new ones are dropped: 16,384,
/// a whole [`BATCH_WINDOW`] at 800k invocations/s.
const QUEUE_CAPACITY: usize = 16_384;

/// Most records one read returns (newest kept).
pub const MAX_READ_RECORDS: usize = 1000;

/// One invocation's log.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LogRecord {
    /// When the invocation finished, Unix ms.
    pub time_ms: i64,
    pub request_id: String,
    // Names are shared (`Arc<str>`) with the observer that records them, so a
    // record costs no copies of them.
    pub service: Arc<str>,
    pub function: Arc<str>,
    pub qualifier: Arc<str>,
    /// Trigger name, `invoke` or `async` (as the metrics label it).
    pub trigger: Arc<str>,
    /// `success`, `handled_error`, `unhandled_error`.
    pub status: Cow<'static, str>,
    pub duration_ms: f64,
    pub max_memory_mb: f64,
    pub cold_start: bool,
    /// What the guest wrote (stdout and stderr, FC's log lines), lossily UTF-8.
    pub log: String,
}

/// Which records a read returns.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    pub request_id: Option<String>,
    /// Only records that finished after this Unix ms.
    pub since_ms: Option<i64>,
    /// At most this many (the newest); capped at [`MAX_READ_RECORDS`].
    pub limit: Option<usize>,
}

/// The function-log store and its writer thread.
#[derive(Debug)]
pub struct FunctionLogs {
    dir: PathBuf,
    sender: SyncSender<LogRecord>,
    dropped: AtomicU64,
    echo: Arc<AtomicBool>,
    /// Records queued and not yet written ([`FunctionLogs::flush`] waits for 0).
    pending: Arc<AtomicU64>,
}

impl FunctionLogs {
    /// Starts the writer thread over `<data dir>/logs`. Lines are not echoed to the
    /// terminal until [`FunctionLogs::set_echo`] says so (`wasm-fc run` does).
    pub fn start(data_dir: &Path) -> Self {
        let dir = data_dir.join("logs");
        let (sender, receiver) = std::sync::mpsc::sync_channel(QUEUE_CAPACITY);
        let writer_dir = dir.clone();
        let echo = Arc::new(AtomicBool::new(false));
        let writer_echo = echo.clone();
        let pending = Arc::new(AtomicU64::new(0));
        let writer_pending = pending.clone();
        let spawned = std::thread::Builder::new()
            .name("wasm-fc-logs".into())
            .spawn(move || write_loop(&writer_dir, receiver, &writer_echo, &writer_pending));
        if let Err(err) = spawned {
            tracing::error!(error = %err, "function logs: cannot start the writer thread; logs are not kept");
        }
        Self {
            dir,
            sender,
            dropped: AtomicU64::new(0),
            echo,
            pending,
        }
    }

    /// Waits (blocking, at most `within`) until every queued record is
    /// written: a node that stops gracefully keeps the logs of the
    /// invocations it finished while draining. Returns whether it got there.
    pub fn flush(&self, within: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + within;
        while self.pending.load(Ordering::Acquire) > 0 {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        true
    }

    /// Whether guest log lines are also printed to stdout, prefixed `service/function requestId`.
    pub fn set_echo(&self, echo: bool) {
        self.echo.store(echo, Ordering::Relaxed);
    }

    /// Queues a record; never blocks.
    pub fn record(&self, record: LogRecord) {
        self.pending.fetch_add(1, Ordering::AcqRel);
        match self.sender.try_send(record) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.pending.fetch_sub(1, Ordering::AcqRel);
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Records dropped because the writer fell behind.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The records of one function matching `query`, oldest first. Blocking file IO.
    pub fn read(&self, service: &str, function: &str, query: &LogQuery) -> Vec<LogRecord> {
        let Some((current, rotated)) = files(&self.dir, service, function) else {
            return Vec::new();
        };
        let limit = query
            .limit
            .unwrap_or(MAX_READ_RECORDS)
            .min(MAX_READ_RECORDS);
        let mut found = std::collections::VecDeque::new();
        for path in [rotated, current] {
            let Ok(file) = std::fs::File::open(&path) else {
                continue;
            };
            for line in BufReader::new(file).lines().map_while(Result::ok) {
                let Ok(record) = serde_json::from_str::<LogRecord>(&line) else {
                    continue; // a torn last line after a crash
                };
                if query.since_ms.is_some_and(|since| record.time_ms <= since)
                    || query
                        .request_id
                        .as_ref()
                        .is_some_and(|id| *id != record.request_id)
                {
                    continue;
                }
                if found.len() == limit {
                    found.pop_front();
                }
                found.push_back(record);
            }
        }
        found.into()
    }
}

/// The current and rotated file of a function; `None` for names that are not plain
/// path segments (the API only accepts FC names, so this is a second fence).
fn files(dir: &Path, service: &str, function: &str) -> Option<(PathBuf, PathBuf)> {
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if !plain(service) || !plain(function) {
        return None;
    }
    let dir = dir.join(service);
    Some((
        dir.join(format!("{function}.jsonl")),
        dir.join(format!("{function}.1.jsonl")),
    ))
}

/// How long the writer lets records gather after the first one arrives. Under
/// load the writer then wakes at most 1/BATCH_WINDOW times a second and writes
/// each function's records with one `write`, instead of a wake-up, an `open` and
/// a `write` per invocation (which cost a fifth of a CPU at 10k invocations/s).
/// Default 20 ms: records reach the file that much later.
const BATCH_WINDOW: std::time::Duration = std::time::Duration::from_millis(20);

/// Open log files kept between batches; past this many, all are closed.
const MAX_OPEN_FILES: usize = 256;

fn write_loop(dir: &Path, receiver: Receiver<LogRecord>, echo: &AtomicBool, pending: &AtomicU64) {
    let mut open = OpenFiles::default();
    while let Ok(first) = receiver.recv() {
        std::thread::sleep(BATCH_WINDOW);
        let mut batch = vec![first];
        batch.extend(receiver.try_iter());
        if echo.load(Ordering::Relaxed) {
            echo_records(&batch);
        }
        batch.sort_by(|a, b| (&a.service, &a.function).cmp(&(&b.service, &b.function)));
        for same in batch.chunk_by(|a, b| a.service == b.service && a.function == b.function) {
            if let Err(err) = open.append(dir, same) {
                let first = &same[0];
                tracing::warn!(error = %err, service = %first.service, function = %first.function, "function logs: cannot write");
            }
        }
        pending.fetch_sub(batch.len() as u64, Ordering::AcqRel);
    }
}

/// Prints each log line as `service/function requestId: line`.
fn echo_records(records: &[LogRecord]) {
    if records.iter().all(|r| r.log.is_empty()) {
        return;
    }
    let mut out = std::io::stdout().lock();
    for record in records {
        for line in record.log.lines() {
            let _ = writeln!(
                out,
                "{}/{} {}: {line}",
                record.service, record.function, record.request_id
            );
        }
    }
    let _ = out.flush();
}

/// The writer's open log files and their sizes.
#[derive(Default)]
struct OpenFiles {
    files: std::collections::HashMap<PathBuf, (std::fs::File, u64)>,
}

impl OpenFiles {
    /// Appends records of one function, rotating its file past [`MAX_FILE_BYTES`].
    fn append(&mut self, dir: &Path, records: &[LogRecord]) -> std::io::Result<()> {
        let Some(first) = records.first() else {
            return Ok(());
        };
        let Some((current, rotated)) = files(dir, &first.service, &first.function) else {
            return Ok(());
        };
        let mut lines = Vec::new();
        for record in records {
            serde_json::to_writer(&mut lines, record).map_err(std::io::Error::other)?;
            lines.push(b'\n');
        }
        if !self.files.contains_key(&current) {
            if self.files.len() >= MAX_OPEN_FILES {
                self.files.clear();
            }
            if let Some(parent) = current.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let file = open_append(&current)?;
            let len = file.metadata()?.len();
            self.files.insert(current.clone(), (file, len));
        }
        let Some((file, len)) = self.files.get_mut(&current) else {
            return Ok(());
        };
        if *len >= MAX_FILE_BYTES {
            std::fs::rename(&current, &rotated)?;
            *file = open_append(&current)?;
            *len = 0;
        }
        file.write_all(&lines)?;
        *len += lines.len() as u64;
        Ok(())
    }
}

fn open_append(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
}

/// Appends one record (the tests' way to write without the thread).
#[cfg(test)]
fn append(dir: &Path, record: &LogRecord) -> std::io::Result<()> {
    OpenFiles::default().append(dir, std::slice::from_ref(record))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn record(id: &str, time_ms: i64, log: &str) -> LogRecord {
        LogRecord {
            time_ms,
            request_id: id.into(),
            service: "svc".into(),
            function: "fn".into(),
            qualifier: "LATEST".into(),
            trigger: "invoke".into(),
            status: "success".into(),
            duration_ms: 1.0,
            max_memory_mb: 1.0,
            cold_start: false,
            log: log.into(),
        }
    }

    #[test]
    fn rotates_and_stays_bounded_and_filters() {
        let dir = tempfile::tempdir().unwrap();
        let big = "x".repeat(64 << 10);
        // 3x the file cap: the oldest third must be gone, the total at most 2 files.
        let n = (3 * MAX_FILE_BYTES / (64 << 10)) as i64;
        for i in 0..n {
            append(dir.path(), &record(&format!("r{i}"), i, &big)).unwrap();
        }
        let (current, rotated) = files(dir.path(), "svc", "fn").unwrap();
        let total =
            std::fs::metadata(&current).unwrap().len() + std::fs::metadata(&rotated).unwrap().len();
        assert!(total <= 2 * MAX_FILE_BYTES + (70 << 10), "{total}");
        let logs = FunctionLogs::start(dir.path());
        let logs = FunctionLogs {
            dir: dir.path().to_path_buf(),
            ..logs
        };
        let all = logs.read("svc", "fn", &LogQuery::default());
        assert!(
            all.first().unwrap().time_ms > 0,
            "oldest records rotated away"
        );
        assert_eq!(all.last().unwrap().request_id, format!("r{}", n - 1));
        let one = logs.read(
            "svc",
            "fn",
            &LogQuery {
                request_id: Some(format!("r{}", n - 2)),
                ..LogQuery::default()
            },
        );
        assert_eq!(one.len(), 1);
        let recent = logs.read(
            "svc",
            "fn",
            &LogQuery {
                since_ms: Some(n - 3),
                ..LogQuery::default()
            },
        );
        assert_eq!(recent.len(), 2);
        assert!(logs.read("..", "fn", &LogQuery::default()).is_empty());
    }
}
