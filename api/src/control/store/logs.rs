//! What the store keeps for logstores (the local Log Service) and for pull
//! consumers' cursors. Both backends implement [`LogBackend`] over the same
//! tables (`api/migrations/*/V4__logstores.sql`).
//!
//! A logstore `{project}/{logstore}` has N shards. A shard is append-only:
//! its entries are numbered 1, 2, 3, … in commit order, and a cursor is such a
//! number (FC shows it base64-encoded, [`crate::control::logstores::cursor`]). An
//! entry is kept until it is older than the logstore's `ttl_days` or its
//! shard holds more than `max_shard_bytes`, whichever comes first
//! ([`LogBackend::trim_logs`]).

use super::StoreError;

/// A logstore's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogstoreSpec {
    /// Shards, 1–64; default 1.
    pub shard_count: u32,
    /// Days an entry is kept, 1–3650; default 30 (SLS's default).
    pub ttl: u32,
    /// Bytes of entries a shard keeps before its oldest go; default 64 MiB.
    pub max_bytes_per_shard: i64,
    /// Unix ms of creation.
    pub create_time: i64,
}

/// One entry to append: when it happened and its JSON object's text.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    pub time_ms: i64,
    pub body: String,
}

/// One stored entry.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEntry {
    pub shard: u32,
    /// Its number in its shard (its cursor).
    pub seq: i64,
    pub time_ms: i64,
    pub body: String,
}

/// Where a shard stands: entries `[begin, end)` are readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardHead {
    pub shard: u32,
    /// The oldest kept entry's number (`end` when the shard is empty).
    pub begin: i64,
    /// The next entry's number.
    pub end: i64,
}

/// Logstore rows, entries and consumer cursors.
pub trait LogBackend {
    /// Creates a logstore with its shards; `false` when it already existed
    /// (then nothing changes).
    fn create_logstore(
        &self,
        project: &str,
        logstore: &str,
        spec: &LogstoreSpec,
    ) -> Result<bool, StoreError>;
    /// A logstore's settings, if it exists.
    fn logstore(&self, project: &str, logstore: &str) -> Result<Option<LogstoreSpec>, StoreError>;
    /// Every logstore (of `project`, when given), by project and name.
    fn list_logstores(
        &self,
        project: Option<&str>,
    ) -> Result<Vec<(String, String, LogstoreSpec)>, StoreError>;
    /// Deletes a logstore and its entries; `NotFound` if there is none.
    fn delete_logstore(&self, project: &str, logstore: &str) -> Result<(), StoreError>;
    /// Appends entries to one shard in one transaction; returns the first
    /// entry's number. `NotFound` if the logstore or shard does not exist.
    fn append_logs(
        &self,
        project: &str,
        logstore: &str,
        shard: u32,
        entries: &[NewEntry],
    ) -> Result<i64, StoreError>;
    /// Every shard's readable range.
    fn shard_heads(&self, project: &str, logstore: &str) -> Result<Vec<ShardHead>, StoreError>;
    /// Entries of one shard numbered `[from, to)`, oldest first, at most `max`.
    fn read_logs(
        &self,
        project: &str,
        logstore: &str,
        shard: u32,
        from: i64,
        to: i64,
        max: usize,
    ) -> Result<Vec<StoredEntry>, StoreError>;
    /// Entries of every shard with `from_ms <= time_ms < to_ms`: the newest
    /// `max`, returned oldest first.
    fn read_logs_by_time(
        &self,
        project: &str,
        logstore: &str,
        from_ms: i64,
        to_ms: i64,
        max: usize,
    ) -> Result<Vec<StoredEntry>, StoreError>;
    /// Applies every logstore's retention; returns how many entries went.
    fn trim_logs(&self, now_ms: i64) -> Result<u64, StoreError>;

    /// Takes (or keeps) the lease on cursor `name` for `owner` until
    /// `lease_until_ms` and returns its position (`""` for a new cursor), or
    /// `None` while another live owner's lease runs (an owner whose node
    /// stopped heartbeating is dead, and its lease is taken).
    fn claim_cursor(
        &self,
        name: &str,
        owner: &str,
        now_ms: i64,
        lease_until_ms: i64,
    ) -> Result<Option<String>, StoreError>;
    /// Moves cursor `name` to `position` if `owner` still holds it; `false`
    /// when it lost the lease (another node took over).
    fn advance_cursor(&self, name: &str, owner: &str, position: &str) -> Result<bool, StoreError>;
    /// Removes the cursors whose name starts with `prefix` (a deleted trigger).
    fn delete_cursors(&self, prefix: &str) -> Result<u64, StoreError>;
}

/// How many oldest entries one size-trimming step looks at: 1,000.
pub const TRIM_STEP: usize = 1000;

/// The number of leading entries (by the `(seq, bytes)` pairs, oldest first)
/// to remove so that `bytes` falls to `max` or below; and the last removed
/// number. Shared by both backends' [`LogBackend::trim_logs`].
pub fn size_cut(oldest: &[(i64, i64)], mut bytes: i64, max: i64) -> Option<(i64, i64)> {
    let mut cut = None;
    let mut freed = 0;
    for (seq, len) in oldest {
        if bytes <= max {
            break;
        }
        bytes -= len;
        freed += len;
        cut = Some((*seq, freed));
    }
    cut
}
