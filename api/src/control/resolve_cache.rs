//! What resolve reads, kept in memory while the store is unchanged, so that a
//! warm invocation on any path (InvokeFunction, the async workers, timer fires,
//! HTTP triggers) makes no store read at all.
//!
//! Entries carry the store generation they were read at
//! ([`crate::control::store::StoreHandle::generation`]); any committed write moves the
//! generation on, so every entry read before it is stale from then on. The
//! generation is taken before the rows are read: a write racing with the reads
//! leaves the new entry already stale, never wrongly fresh.

use std::sync::Arc;

use dashmap::DashMap;
use serde_json::Value;

use crate::control::resolve::Resolved;
use crate::control::store::Kind;

/// Entries kept at most (each kind); past it the cache starts over. 10,000
/// function versions is more than one node serves.
const MAX_ENTRIES: usize = 10_000;

/// Resolved function versions and single rows, by generation.
#[derive(Debug, Default)]
pub struct ResolveCache {
    /// `service \n qualifier \n version \n function` → what runs.
    resolved: DashMap<String, (u64, Arc<Resolved>)>,
    /// `kind \n scope \n name` → the row, or its absence (aliases, whose
    /// weights are rolled per call; async configs, read per async invocation).
    rows: DashMap<String, (u64, Option<Arc<Value>>)>,
}

fn key(parts: &[&str]) -> String {
    parts.join("\n")
}

impl ResolveCache {
    /// The resolved version, if it was read at `generation`.
    pub fn resolved(&self, generation: u64, parts: &[&str]) -> Option<Arc<Resolved>> {
        self.resolved
            .get(&key(parts))
            .filter(|entry| entry.0 == generation)
            .map(|entry| entry.1.clone())
    }

    pub fn keep_resolved(&self, generation: u64, parts: &[&str], resolved: Arc<Resolved>) {
        if self.resolved.len() >= MAX_ENTRIES {
            self.resolved.clear();
        }
        self.resolved.insert(key(parts), (generation, resolved));
    }

    /// The row (or `Some(None)`: known absent), if it was read at `generation`.
    pub fn row(
        &self,
        generation: u64,
        kind: Kind,
        scope: &str,
        name: &str,
    ) -> Option<Option<Arc<Value>>> {
        self.rows
            .get(&key(&[kind.as_str(), scope, name]))
            .filter(|entry| entry.0 == generation)
            .map(|entry| entry.1.clone())
    }

    pub fn keep_row(
        &self,
        generation: u64,
        kind: Kind,
        scope: &str,
        name: &str,
        row: Option<Arc<Value>>,
    ) {
        if self.rows.len() >= MAX_ENTRIES {
            self.rows.clear();
        }
        self.rows
            .insert(key(&[kind.as_str(), scope, name]), (generation, row));
    }
}
