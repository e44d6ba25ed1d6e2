//! The event a Log trigger delivers: FC's fields, plus the range's entries
//! under [`ENTRIES_KEY`] (a wasm-fc extension, so a function without network
//! access can read them; FC's own function pulls them with the cursors, which
//! the read endpoint also serves).

use serde_json::{Value, json};

use crate::control::logstores::cursor;
use crate::control::store::logs::StoredEntry;

/// The event key holding the range's entries: `"logs"`, a list of each
/// entry's fields plus `__time__` (Unix s), `__shard__` and `__cursor__`.
pub const ENTRIES_KEY: &str = "logs";
/// Most entries one invocation carries: 1,000 (a longer range is split).
pub const MAX_ENTRIES: usize = 1000;
/// Most entry bytes one invocation carries: 4 MiB (a longer range is split;
/// one bigger entry travels alone).
pub const MAX_ENTRY_BYTES: usize = 4 << 20;

/// What identifies one invocation's range.
#[derive(Debug)]
pub struct Range<'a> {
    pub endpoint: &'a str,
    pub project: &'a str,
    pub logstore: &'a str,
    pub shard: u32,
    pub begin: i64,
    pub end: i64,
    pub job_name: &'a str,
    pub task_id: &'a str,
}

/// The entries of a read that fit one invocation, from the first.
pub fn fitting(entries: &[StoredEntry]) -> usize {
    let mut bytes = 0;
    let mut n = 0;
    for e in entries.iter().take(MAX_ENTRIES) {
        bytes += e.body.len();
        if n > 0 && bytes > MAX_ENTRY_BYTES {
            break;
        }
        n += 1;
    }
    n
}

/// FC's event for `range` with `entries` inline (all inside the range).
pub fn build(range: &Range<'_>, parameter: &Value, entries: &[StoredEntry]) -> Value {
    let cursor_time = entries.last().map_or(0, |e| e.time_ms / 1000);
    let logs: Vec<Value> = entries
        .iter()
        .map(crate::control::logstores::entries::shown)
        .collect();
    json!({
        "parameter": parameter,
        "source": {
            "endpoint": range.endpoint,
            "projectName": range.project,
            "logstoreName": range.logstore,
            "shardId": range.shard,
            "beginCursor": cursor::encode(range.begin),
            "endCursor": cursor::encode(range.end),
        },
        "jobName": range.job_name,
        "taskId": range.task_id,
        "cursorTime": cursor_time,
        ENTRIES_KEY: logs,
    })
}
