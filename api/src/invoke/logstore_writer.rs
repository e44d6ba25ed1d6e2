//! Writes invocation logs into the logstore a `logConfig` names.
//!
//! Each finished invocation of a function whose service (or the function
//! itself, FC 3.0's place) has a `logConfig{project, logstore}` becomes
//! entries, one per log line, framed by FC's `FC Invoke Start` and `FC Invoke
//! End` lines, with FC's fields: `serviceName`, `functionName`, `qualifier`,
//! `versionId`, `instanceID`, `requestId`, `time`, `level`, `message`.
//!
//! Invocations never wait for the store: entries go through a bounded channel
//! ([`QUEUE_CAPACITY`]) to one task that appends them in batches (at most
//! every [`BATCH_WINDOW`], spreading batches over the shards in turn). When
//! the channel is full, entries are dropped and counted
//! ([`LogstoreWriter::dropped`]; not yet on `/metrics`), never blocking a function. A
//! logstore that does not exist yet is created with the defaults.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;

use crate::control::store::StoreHandle;
use crate::control::store::logs::NewEntry;

/// Entries waiting for the writer task before new ones are dropped: 65,536.
pub const QUEUE_CAPACITY: usize = 65_536;
/// How long the writer gathers entries before appending them: 100 ms.
pub const BATCH_WINDOW: Duration = Duration::from_millis(100);
/// Most entries in one append: 1,000.
const MAX_BATCH: usize = 1000;

/// Where a function's logs go.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogTarget {
    pub project: String,
    pub logstore: String,
}

/// One invocation's identity, as each of its entries carries it.
#[derive(Debug)]
pub struct InvocationLog<'a> {
    pub service: &'a str,
    pub function: &'a str,
    pub qualifier: &'a str,
    pub version_id: &'a str,
    pub instance_id: &'a str,
    pub request_id: &'a str,
    pub time_ms: i64,
    /// What the guest wrote.
    pub log: &'a str,
}

/// One entry on its way to its logstore.
type Queued = (Arc<LogTarget>, NewEntry);

/// The sending end, held by the invoker; the task runs from [`spawn`].
#[derive(Debug)]
pub struct LogstoreWriter {
    sender: mpsc::Sender<Queued>,
    receiver: std::sync::Mutex<Option<mpsc::Receiver<Queued>>>,
    dropped: AtomicU64,
}

impl Default for LogstoreWriter {
    fn default() -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        Self {
            sender,
            receiver: std::sync::Mutex::new(Some(receiver)),
            dropped: AtomicU64::new(0),
        }
    }
}

impl LogstoreWriter {
    /// Queues one invocation's entries for `target`.
    pub fn record(&self, target: &Arc<LogTarget>, inv: &InvocationLog<'_>) {
        for entry in entries(inv) {
            if self.sender.try_send((target.clone(), entry)).is_err() {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Entries dropped because the writer fell behind.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Starts the writer task. It runs until `stop` turns true, then appends
    /// what is queued and ends. `None` if it was started before.
    pub fn spawn(
        &self,
        store: StoreHandle,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let mut receiver = self.receiver.lock().ok()?.take()?;
        Some(tokio::spawn(async move {
            let mut known = HashSet::new();
            let mut turn = 0u32;
            loop {
                let mut batch = Vec::new();
                let stopping = tokio::select! {
                    n = receiver.recv_many(&mut batch, MAX_BATCH) => n == 0,
                    _ = stop.wait_for(|s| *s) => true,
                };
                if !stopping {
                    tokio::time::sleep(BATCH_WINDOW).await;
                }
                while batch.len() < MAX_BATCH * 16 {
                    match receiver.try_recv() {
                        Ok(item) => batch.push(item),
                        Err(_) => break,
                    }
                }
                append(&store, batch, &mut known, &mut turn).await;
                if stopping && receiver.is_empty() {
                    return;
                }
            }
        }))
    }
}

/// Appends a batch, grouped by logstore, each group to the next shard in turn.
async fn append(
    store: &StoreHandle,
    batch: Vec<Queued>,
    known: &mut HashSet<Arc<LogTarget>>,
    turn: &mut u32,
) {
    let mut groups: HashMap<Arc<LogTarget>, Vec<NewEntry>> = HashMap::new();
    for (target, entry) in batch {
        groups.entry(target).or_default().push(entry);
    }
    for (target, entries) in groups {
        if !known.contains(&target) {
            if let Err(e) = crate::control::logstores::ensure(
                store,
                &target.project,
                &target.logstore,
                "a logConfig",
            )
            .await
            {
                tracing::warn!(project = %target.project, logstore = %target.logstore, error = %e.chain(), "cannot create the logConfig's logstore; its entries are dropped");
                continue;
            }
            known.insert(target.clone());
        }
        *turn = turn.wrapping_add(1);
        let pick = *turn;
        let t = target.clone();
        let count = entries.len();
        let appended = store
            .logs(move |b| {
                let shards = b
                    .logstore(&t.project, &t.logstore)?
                    .map_or(1, |s| s.shard_count.max(1));
                for chunk in entries.chunks(MAX_BATCH) {
                    b.append_logs(&t.project, &t.logstore, pick % shards, chunk)?;
                }
                Ok(())
            })
            .await;
        if let Err(e) = appended {
            // Deleted meanwhile, or the store failed: say so once per batch.
            known.remove(&target);
            tracing::warn!(project = %target.project, logstore = %target.logstore, entries = count, error = %e, "cannot append invocation logs to the logstore; they are dropped");
        }
    }
}

/// The entries of one invocation: FC's start line, one per log line, FC's end line.
pub fn entries(inv: &InvocationLog<'_>) -> Vec<NewEntry> {
    let time = crate::control::model::timestamp_of_ms(inv.time_ms);
    let entry = |time: &str, level: &str, message: &str| NewEntry {
        time_ms: inv.time_ms,
        body: json!({
            "serviceName": inv.service,
            "functionName": inv.function,
            "qualifier": inv.qualifier,
            "versionId": inv.version_id,
            "instanceID": inv.instance_id,
            "requestId": inv.request_id,
            "time": time,
            "level": level,
            "message": message,
        })
        .to_string(),
    };
    let mut out = vec![entry(
        &time,
        "INFO",
        &format!("FC Invoke Start RequestId: {}", inv.request_id),
    )];
    for line in inv.log.lines().filter(|l| !l.trim().is_empty()) {
        let (line_time, level, message) = split_line(line, inv.request_id);
        out.push(entry(line_time.unwrap_or(&time), level, message));
    }
    out.push(entry(
        &time,
        "INFO",
        &format!("FC Invoke End RequestId: {}", inv.request_id),
    ));
    out
}

/// FC's runtime log line `<time> <requestId> [LEVEL] message` as its parts;
/// any other line is an INFO message as written.
fn split_line<'a>(line: &'a str, request_id: &str) -> (Option<&'a str>, &'a str, &'a str) {
    let mut parts = line.splitn(4, ' ');
    if let (Some(time), Some(id), Some(level), Some(message)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
        && id == request_id
        && level.len() > 2
        && level.starts_with('[')
        && level.ends_with(']')
    {
        return (Some(time), &level[1..level.len() - 1], message);
    }
    (None, "INFO", line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_entries_with_fcs_fields() {
        let inv = InvocationLog {
            service: "s",
            function: "f",
            qualifier: "LATEST",
            version_id: "",
            instance_id: "i-1",
            request_id: "r-1",
            time_ms: 1_700_000_000_000,
            log: "2023-11-14T22:13:20.000Z r-1 [ERROR] boom\nplain line\n",
        };
        let bodies: Vec<serde_json::Value> = entries(&inv)
            .iter()
            .map(|e| serde_json::from_str(&e.body).unwrap())
            .collect();
        assert_eq!(bodies.len(), 4);
        assert_eq!(bodies[0]["message"], "FC Invoke Start RequestId: r-1");
        assert_eq!(bodies[1]["level"], "ERROR");
        assert_eq!(bodies[1]["message"], "boom");
        assert_eq!(bodies[1]["time"], "2023-11-14T22:13:20.000Z");
        assert_eq!(bodies[2]["level"], "INFO");
        assert_eq!(bodies[2]["message"], "plain line");
        assert_eq!(bodies[3]["instanceID"], "i-1");
        assert_eq!(bodies[3]["serviceName"], "s");
    }
}
