//! The embedded store: SQLite in WAL mode, one file (`wasm-fc.db`) in the data dir.
//! WAL with `synchronous=FULL` makes every committed write survive a process or
//! machine crash; SQLite is the most tested embedded transactional store there is.
//!
//! One writer connection takes every write as a `BEGIN IMMEDIATE` transaction
//! (so writes are serializable, also against another process on the same file),
//! and a small pool of read connections serves reads: under WAL a reader sees
//! the last commit and never waits behind a writer's commit or fsync.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde_json::Value;

use super::{
    ClaimedFire, EventOrigin, FIRE_CLAIM_RETENTION_MS, Kind, ListQuery, NODE_ROW_RETENTION_MS,
    Page, QueuedInvocation, Reader, Store, StoreError, Tx, TxBody, parse_node,
};

mod embedded {
    refinery::embed_migrations!("migrations/sqlite");
}

/// Read connections: 4, enough for the blocking pool's concurrent reads on a
/// small host (a read takes microseconds; a fifth waits for one to free up).
const READERS: usize = 4;

/// SQLite-backed [`Store`].
#[derive(Debug)]
pub struct SqliteStore {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    /// Round-robin start for picking a read connection.
    next_reader: AtomicUsize,
}

/// The schema as it was versioned before refinery took over (by `PRAGMA
/// user_version`). Frozen: a file still at version 1 gets step 2 before
/// refinery runs; refinery's V1 then finds every table in place (it creates
/// them `IF NOT EXISTS`). New schema changes are refinery migrations under
/// `api/migrations/sqlite`.
const LEGACY_MIGRATIONS: &[&str] = &[
    // 1: resources, sequences and the queue.
    "CREATE TABLE IF NOT EXISTS resources (
        kind TEXT NOT NULL,
        scope TEXT NOT NULL,
        name TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (kind, scope, name)
    );
    CREATE TABLE IF NOT EXISTS sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS async_queue (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        request_id TEXT NOT NULL,
        service TEXT NOT NULL,
        qualifier TEXT NOT NULL,
        function TEXT NOT NULL,
        payload BLOB NOT NULL,
        attempts INTEGER NOT NULL,
        not_before_ms INTEGER NOT NULL,
        enqueued_ms INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS async_queue_due ON async_queue (not_before_ms, id);",
    // 2: leases name their holder, so start-up releases only dead holders' leases.
    "ALTER TABLE async_queue ADD COLUMN lease_owner TEXT;",
];

pub(super) fn backend(operation: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| StoreError::Backend {
        operation,
        source: Box::new(e),
    }
}

fn open_connection(path: &Path, flags: OpenFlags) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(path, flags).map_err(backend("opening the store"))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(backend("opening the store"))?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating and migrating) the store file.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut writer = open_connection(path, OpenFlags::default())?;
        let setup = backend("setting up the store");
        writer
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(&setup)?;
        writer
            .pragma_update(None, "synchronous", "FULL")
            .map_err(&setup)?;
        migrate(&mut writer)?;
        let readers = (0..READERS)
            .map(|_| {
                open_connection(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map(Mutex::new)
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
        })
    }

    pub(super) fn writer(&self) -> MutexGuard<'_, Connection> {
        debug_assert!(
            super::handle::backend_call_allowed(),
            "a store call on a runtime worker thread"
        );
        // SQLite rolls back an unfinished transaction; the connection stays usable.
        self.writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A free read connection, else the next one in turn (waiting for it).
    pub(super) fn reader(&self) -> MutexGuard<'_, Connection> {
        debug_assert!(
            super::handle::backend_call_allowed(),
            "a store call on a runtime worker thread"
        );
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        for i in 0..self.readers.len() {
            if let Ok(conn) = self.readers[(start + i) % self.readers.len()].try_lock() {
                return conn;
            }
        }
        self.readers[start % self.readers.len()]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Brings the file to the newest schema version: a pre-refinery file's
/// remaining legacy steps, then refinery's migrations (the data dir's lock
/// keeps a second process out meanwhile).
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let failed = backend("migrating the store's schema");
    {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&failed)?;
        let version: usize = tx
            .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
            .map_err(&failed)? as usize;
        if version > 0 {
            for (step, sql) in LEGACY_MIGRATIONS.iter().enumerate().skip(version) {
                tx.execute_batch(sql).map_err(&failed)?;
                tx.pragma_update(None, "user_version", (step + 1) as i64)
                    .map_err(&failed)?;
            }
        }
        tx.commit().map_err(&failed)?;
    }
    embedded::migrations::runner()
        .run(conn)
        .map(|_| ())
        .map_err(|e| StoreError::Backend {
            operation: "migrating the store's schema",
            source: Box::new(e),
        })
}

fn parse(kind: Kind, body: String) -> Result<Value, StoreError> {
    serde_json::from_str(&body).map_err(|source| StoreError::Corrupt {
        kind: kind.as_str(),
        source,
    })
}

/// The reads, over any connection (a read connection or a write transaction).
mod reads {
    use super::*;

    pub fn get(
        conn: &Connection,
        kind: Kind,
        scope: &str,
        name: &str,
    ) -> Result<Option<Value>, StoreError> {
        let body: Option<String> = conn
            .prepare_cached("SELECT body FROM resources WHERE kind=?1 AND scope=?2 AND name=?3")
            .and_then(|mut stmt| {
                stmt.query_row(params![kind.as_str(), scope, name], |r| r.get(0))
                    .optional()
            })
            .map_err(backend("reading a row"))?;
        body.map(|body| parse(kind, body)).transpose()
    }

    pub fn list(
        conn: &Connection,
        kind: Kind,
        scope: &str,
        query: &ListQuery,
    ) -> Result<Page, StoreError> {
        let failed = backend("listing rows");
        let limit = query.limit.max(1);
        let (cmp, order) = if query.descending {
            ("<=", "DESC")
        } else {
            (">=", "ASC")
        };
        let sql = format!(
            "SELECT name, body FROM resources WHERE kind=?1 AND scope=?2 AND substr(name, 1, length(?3))=?3 \
             AND (?4 IS NULL OR name {cmp} ?4) ORDER BY name {order} LIMIT ?5"
        );
        let mut stmt = conn.prepare_cached(&sql).map_err(&failed)?;
        let rows = stmt
            .query_map(
                params![
                    kind.as_str(),
                    scope,
                    query.prefix,
                    query.start,
                    (limit + 1) as i64
                ],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
            .map_err(&failed)?;
        let mut page = Page::default();
        for row in rows {
            let (name, body) = row.map_err(&failed)?;
            if page.items.len() == limit {
                page.next = Some(name);
                break;
            }
            page.items.push(parse(kind, body)?);
        }
        Ok(page)
    }

    pub fn list_all(conn: &Connection, kind: Kind) -> Result<Vec<Value>, StoreError> {
        let failed = backend("listing rows");
        let mut stmt = conn
            .prepare_cached("SELECT body FROM resources WHERE kind=?1 ORDER BY scope, name")
            .map_err(&failed)?;
        let rows = stmt
            .query_map(params![kind.as_str()], |r| r.get::<_, String>(0))
            .map_err(&failed)?;
        rows.map(|row| row.map_err(&failed).and_then(|body| parse(kind, body)))
            .collect()
    }

    pub fn count(conn: &Connection, kind: Kind, scope: &str) -> Result<u64, StoreError> {
        conn.query_row(
            "SELECT COUNT(*) FROM resources WHERE kind=?1 AND scope=?2",
            params![kind.as_str(), scope],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n as u64)
        .map_err(backend("counting rows"))
    }
}

impl Reader for SqliteStore {
    fn get(&self, kind: Kind, scope: &str, name: &str) -> Result<Option<Value>, StoreError> {
        reads::get(&self.reader(), kind, scope, name)
    }

    fn list(&self, kind: Kind, scope: &str, query: &ListQuery) -> Result<Page, StoreError> {
        reads::list(&self.reader(), kind, scope, query)
    }

    fn list_all(&self, kind: Kind) -> Result<Vec<Value>, StoreError> {
        reads::list_all(&self.reader(), kind)
    }

    fn count(&self, kind: Kind, scope: &str) -> Result<u64, StoreError> {
        reads::count(&self.reader(), kind, scope)
    }
}

/// A one-row statement's outcome: the row was there (or not) as it had to be.
fn one_row(changed: usize, otherwise: StoreError) -> Result<(), StoreError> {
    if changed == 0 { Err(otherwise) } else { Ok(()) }
}

/// A write transaction on the writer connection.
struct SqliteTx<'c>(&'c rusqlite::Transaction<'c>);

impl Reader for SqliteTx<'_> {
    fn get(&self, kind: Kind, scope: &str, name: &str) -> Result<Option<Value>, StoreError> {
        reads::get(self.0, kind, scope, name)
    }

    fn list(&self, kind: Kind, scope: &str, query: &ListQuery) -> Result<Page, StoreError> {
        reads::list(self.0, kind, scope, query)
    }

    fn list_all(&self, kind: Kind) -> Result<Vec<Value>, StoreError> {
        reads::list_all(self.0, kind)
    }

    fn count(&self, kind: Kind, scope: &str) -> Result<u64, StoreError> {
        reads::count(self.0, kind, scope)
    }
}

impl Tx for SqliteTx<'_> {
    fn insert(
        &mut self,
        kind: Kind,
        scope: &str,
        name: &str,
        body: &Value,
    ) -> Result<(), StoreError> {
        let changed = self
            .0
            .execute(
                "INSERT OR IGNORE INTO resources (kind, scope, name, body) VALUES (?1, ?2, ?3, ?4)",
                params![kind.as_str(), scope, name, body.to_string()],
            )
            .map_err(backend("inserting a row"))?;
        one_row(changed, StoreError::AlreadyExists)
    }

    fn update(
        &mut self,
        kind: Kind,
        scope: &str,
        name: &str,
        body: &Value,
    ) -> Result<(), StoreError> {
        let changed = self
            .0
            .execute(
                "UPDATE resources SET body=?4 WHERE kind=?1 AND scope=?2 AND name=?3",
                params![kind.as_str(), scope, name, body.to_string()],
            )
            .map_err(backend("updating a row"))?;
        one_row(changed, StoreError::NotFound)
    }

    fn upsert(
        &mut self,
        kind: Kind,
        scope: &str,
        name: &str,
        body: &Value,
    ) -> Result<(), StoreError> {
        self.0
            .execute(
                "INSERT OR REPLACE INTO resources (kind, scope, name, body) VALUES (?1, ?2, ?3, ?4)",
                params![kind.as_str(), scope, name, body.to_string()],
            )
            .map_err(backend("writing a row"))?;
        Ok(())
    }

    fn delete(&mut self, kind: Kind, scope: &str, name: &str) -> Result<(), StoreError> {
        let changed = self
            .0
            .execute(
                "DELETE FROM resources WHERE kind=?1 AND scope=?2 AND name=?3",
                params![kind.as_str(), scope, name],
            )
            .map_err(backend("deleting a row"))?;
        one_row(changed, StoreError::NotFound)
    }

    fn next_sequence(&mut self, name: &str) -> Result<i64, StoreError> {
        self.0
            .query_row(
                "INSERT INTO sequences (name, value) VALUES (?1, 1) ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value",
                params![name],
                |r| r.get(0),
            )
            .map_err(backend("taking the next sequence number"))
    }
}

/// Inserts one queue row (see [`insert_queued`]).
const INSERT_QUEUED: &str = "INSERT INTO async_queue (request_id, service, qualifier, function, payload, attempts, not_before_ms, enqueued_ms, lease_owner, origin) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

/// Inserts `inv` with the prepared [`INSERT_QUEUED`]; returns its id.
fn insert_queued(
    tx: &rusqlite::Transaction<'_>,
    insert: &mut rusqlite::CachedStatement<'_>,
    inv: &QueuedInvocation,
    lease_owner: Option<&str>,
) -> rusqlite::Result<i64> {
    insert.execute(params![
        inv.request_id,
        inv.service,
        inv.qualifier,
        inv.function,
        inv.payload,
        inv.attempts,
        inv.not_before_ms,
        inv.enqueued_ms,
        lease_owner,
        EventOrigin::to_column(&inv.origin)
    ])?;
    Ok(tx.last_insert_rowid())
}

fn queued(r: &rusqlite::Row<'_>) -> rusqlite::Result<QueuedInvocation> {
    Ok(QueuedInvocation {
        id: r.get(0)?,
        request_id: r.get(1)?,
        service: r.get(2)?,
        qualifier: r.get(3)?,
        function: r.get(4)?,
        payload: r.get(5)?,
        attempts: r.get(6)?,
        not_before_ms: r.get(7)?,
        enqueued_ms: r.get(8)?,
        origin: EventOrigin::from_column(r.get(9)?),
    })
}

impl Store for SqliteStore {
    fn logs(&self) -> &dyn super::logs::LogBackend {
        self
    }

    fn transaction(&self, body: TxBody<'_>) -> Result<(), StoreError> {
        let failed = backend("running a write transaction");
        let mut conn = self.writer();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&failed)?;
        body(&mut SqliteTx(&tx))?; // dropping `tx` rolls back
        tx.commit().map_err(&failed)
    }

    fn enqueue_many(
        &self,
        invocations: &[QueuedInvocation],
        lease_owner: Option<&str>,
    ) -> Result<Vec<i64>, StoreError> {
        let failed = backend("enqueueing invocations");
        let mut conn = self.writer();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&failed)?;
        let mut ids = Vec::with_capacity(invocations.len());
        {
            let mut insert = tx.prepare_cached(INSERT_QUEUED).map_err(&failed)?;
            for inv in invocations {
                ids.push(insert_queued(&tx, &mut insert, inv, lease_owner).map_err(&failed)?);
            }
        }
        tx.commit().map_err(&failed)?;
        Ok(ids)
    }

    fn claim(
        &self,
        owner: &str,
        now_ms: i64,
        max: usize,
        lease_until_ms: i64,
    ) -> Result<Vec<QueuedInvocation>, StoreError> {
        let failed = backend("claiming queued invocations");
        let mut conn = self.writer();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&failed)?;
        let claimed = {
            // PostgreSQL: the same SELECT with `FOR UPDATE SKIP LOCKED`.
            let mut select = tx
                .prepare_cached(
                    "SELECT id, request_id, service, qualifier, function, payload, attempts, not_before_ms, enqueued_ms, origin FROM async_queue \
                     WHERE not_before_ms <= ?1 ORDER BY not_before_ms, id LIMIT ?2",
                )
                .map_err(&failed)?;
            let claimed = select
                .query_map(params![now_ms, max as i64], queued)
                .map_err(&failed)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(&failed)?;
            let mut lease = tx
                .prepare_cached(
                    "UPDATE async_queue SET not_before_ms = ?2, lease_owner = ?3 WHERE id = ?1",
                )
                .map_err(&failed)?;
            for inv in &claimed {
                lease
                    .execute(params![inv.id, lease_until_ms, owner])
                    .map_err(&failed)?;
            }
            claimed
        };
        if !claimed.is_empty() {
            tx.commit().map_err(&failed)?;
        }
        Ok(claimed)
    }

    fn renew_leases(
        &self,
        owner: &str,
        ids: &[i64],
        lease_until_ms: i64,
    ) -> Result<u64, StoreError> {
        let failed = backend("renewing leases");
        let mut conn = self.writer();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&failed)?;
        let mut held = 0;
        {
            let mut renew = tx
                .prepare_cached(
                    "UPDATE async_queue SET not_before_ms = ?3 WHERE id = ?1 AND lease_owner = ?2",
                )
                .map_err(&failed)?;
            for id in ids {
                held += renew
                    .execute(params![id, owner, lease_until_ms])
                    .map_err(&failed)? as u64;
            }
        }
        tx.commit().map_err(&failed)?;
        Ok(held)
    }

    fn release_dead_leases(&self, alive: &str, now_ms: i64) -> Result<u64, StoreError> {
        self.writer()
            .execute(
                "UPDATE async_queue SET not_before_ms = ?2, lease_owner = NULL \
                 WHERE lease_owner IS NOT NULL AND lease_owner != ?1 AND not_before_ms > ?2",
                params![alive, now_ms],
            )
            .map(|n| n as u64)
            .map_err(backend("releasing dead nodes' leases"))
    }

    fn reschedule(&self, id: i64, attempts: u32, not_before_ms: i64) -> Result<(), StoreError> {
        self.writer()
            .execute(
                "UPDATE async_queue SET attempts=?2, not_before_ms=?3, lease_owner=NULL WHERE id=?1",
                params![id, attempts, not_before_ms],
            )
            .map_err(backend("rescheduling an invocation"))?;
        Ok(())
    }

    fn release_leases(&self, owner: &str, ids: &[i64], now_ms: i64) -> Result<u64, StoreError> {
        let failed = backend("releasing leases");
        let mut conn = self.writer();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&failed)?;
        let mut released = 0;
        {
            let mut release = tx
                .prepare_cached(
                    "UPDATE async_queue SET not_before_ms = ?3, lease_owner = NULL \
                     WHERE id = ?1 AND lease_owner = ?2",
                )
                .map_err(&failed)?;
            for id in ids {
                released += release
                    .execute(params![id, owner, now_ms])
                    .map_err(&failed)? as u64;
            }
        }
        tx.commit().map_err(&failed)?;
        Ok(released)
    }

    fn enqueue_fires(
        &self,
        fires: &[ClaimedFire],
        lease_owner: &str,
    ) -> Result<Vec<Option<i64>>, StoreError> {
        let failed = backend("enqueueing timer fires");
        let mut conn = self.writer();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&failed)?;
        let mut ids = Vec::with_capacity(fires.len());
        {
            let mut claim = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO timer_fires (trigger_key, scheduled_ms, node_id) VALUES (?1, ?2, ?3)",
                )
                .map_err(&failed)?;
            let mut insert = tx.prepare_cached(INSERT_QUEUED).map_err(&failed)?;
            for fire in fires {
                let won = claim
                    .execute(params![fire.trigger_key, fire.scheduled_ms, lease_owner])
                    .map_err(&failed)?
                    == 1;
                if !won {
                    ids.push(None);
                    continue;
                }
                let id = insert_queued(&tx, &mut insert, &fire.invocation, Some(lease_owner))
                    .map_err(&failed)?;
                ids.push(Some(id));
            }
        }
        if let Some(oldest) = fires.iter().map(|f| f.scheduled_ms).min() {
            tx.execute(
                "DELETE FROM timer_fires WHERE scheduled_ms < ?1",
                params![oldest - FIRE_CLAIM_RETENTION_MS],
            )
            .map_err(&failed)?;
        }
        tx.commit().map_err(&failed)?;
        Ok(ids)
    }

    fn heartbeat(&self, node_id: &str, now_ms: i64, body: &Value) -> Result<(), StoreError> {
        self.writer()
            .execute(
                "INSERT INTO nodes (node_id, heartbeat_ms, body) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (node_id) DO UPDATE SET heartbeat_ms = excluded.heartbeat_ms, body = excluded.body",
                params![node_id, now_ms, body.to_string()],
            )
            .map_err(backend("recording a heartbeat"))?;
        Ok(())
    }

    fn nodes(&self, since_ms: i64, now_ms: i64) -> Result<Vec<Value>, StoreError> {
        let list = backend("listing nodes");
        self.writer()
            .execute(
                "DELETE FROM nodes WHERE heartbeat_ms < ?1",
                params![now_ms - NODE_ROW_RETENTION_MS],
            )
            .map_err(&list)?;
        let conn = self.reader();
        let mut select = conn
            .prepare_cached("SELECT body FROM nodes WHERE heartbeat_ms >= ?1 ORDER BY node_id")
            .map_err(&list)?;
        let bodies = select
            .query_map(params![since_ms], |r| r.get::<_, String>(0))
            .map_err(&list)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(&list)?;
        bodies.iter().map(|b| parse_node(b)).collect()
    }

    fn remove_node(&self, node_id: &str) -> Result<(), StoreError> {
        self.writer()
            .execute("DELETE FROM nodes WHERE node_id = ?1", params![node_id])
            .map_err(backend("removing a node"))?;
        Ok(())
    }

    fn complete(&self, id: i64) -> Result<(), StoreError> {
        self.writer()
            .execute("DELETE FROM async_queue WHERE id=?1", params![id])
            .map_err(backend("completing an invocation"))?;
        Ok(())
    }

    fn queue_depth(&self) -> Result<u64, StoreError> {
        self.reader()
            .query_row("SELECT COUNT(*) FROM async_queue", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(backend("counting queued invocations"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
        (dir, store)
    }

    use crate::control::store::conformance::{self, write};

    #[test]
    fn crud_and_paging_follow_fc_rules() {
        let (_dir, s) = store();
        conformance::crud_and_paging_follow_fc_rules(&s);
    }

    #[test]
    fn a_failed_transaction_body_writes_nothing() {
        let (_dir, s) = store();
        conformance::a_failed_transaction_body_writes_nothing(&s);
    }

    #[test]
    fn fire_claims_lease_release_and_nodes_follow_the_shared_rules() {
        let (_dir, s) = store();
        conformance::queue_claims_and_nodes(&s);
    }

    #[test]
    fn a_reader_sees_the_last_commit_while_a_write_is_open() {
        let (_dir, s) = store();
        write(&s, |tx| tx.insert(Kind::Service, "", "a", &json!({"v": 1}))).unwrap();
        write(&s, |tx| {
            tx.update(Kind::Service, "", "a", &json!({"v": 2}))?;
            // The writer holds its transaction open; a read connection answers
            // at once with the committed row instead of waiting.
            assert_eq!(s.get(Kind::Service, "", "a")?, Some(json!({"v": 1})));
            Ok(())
        })
        .unwrap();
        assert_eq!(
            s.get(Kind::Service, "", "a").unwrap(),
            Some(json!({"v": 2}))
        );
    }

    fn invocation() -> QueuedInvocation {
        QueuedInvocation {
            id: 0,
            request_id: "r".into(),
            service: "s".into(),
            qualifier: "LATEST".into(),
            function: "f".into(),
            payload: b"p".to_vec(),
            attempts: 0,
            not_before_ms: 0,
            enqueued_ms: 0,
            origin: None,
        }
    }

    #[test]
    fn sequences_never_reuse_and_the_queue_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let next = |s: &SqliteStore| {
            let mut n = 0;
            write(s, |tx| {
                n = tx.next_sequence("v/demo")?;
                Ok(())
            })
            .unwrap();
            n
        };
        {
            let s = SqliteStore::open(&path).unwrap();
            assert_eq!(next(&s), 1);
            assert_eq!(next(&s), 2);
            s.enqueue_many(&[invocation()], None).unwrap();
        }
        let s = SqliteStore::open(&path).unwrap();
        assert_eq!(next(&s), 3);
        let due = s.claim("a", 1, 10, 500).unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].payload, b"p");
        assert!(s.claim("b", 499, 10, 500).unwrap().is_empty(), "leased");
        assert_eq!(
            s.claim("b", 500, 10, 600).unwrap().len(),
            1,
            "the lease ran out"
        );
        assert_eq!(
            s.renew_leases("a", &[due[0].id], 900).unwrap(),
            0,
            "b holds it now"
        );
        assert_eq!(s.renew_leases("b", &[due[0].id], 900).unwrap(), 1);
        assert!(s.claim("a", 800, 10, 2000).unwrap().is_empty(), "renewed");
        s.reschedule(due[0].id, 1, 1000).unwrap();
        assert!(s.claim("a", 999, 10, 2000).unwrap().is_empty());
        s.complete(due[0].id).unwrap();
        assert_eq!(s.queue_depth().unwrap(), 0);
    }

    #[test]
    fn start_up_releases_only_dead_owners_leases() {
        let (_dir, s) = store();
        let leased = QueuedInvocation {
            not_before_ms: 10_000,
            ..invocation()
        };
        s.enqueue_many(std::slice::from_ref(&leased), Some("dead"))
            .unwrap();
        s.enqueue_many(&[leased], Some("me")).unwrap();
        assert!(
            s.claim("me", 0, 10, 10_000).unwrap().is_empty(),
            "both leased"
        );
        assert_eq!(s.release_dead_leases("me", 5).unwrap(), 1);
        assert_eq!(
            s.claim("me", 5, 10, 10_000).unwrap().len(),
            1,
            "only the dead node's"
        );
    }

    #[test]
    fn an_old_file_is_migrated_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(LEGACY_MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute(
                "INSERT INTO async_queue (request_id, service, qualifier, function, payload, attempts, not_before_ms, enqueued_ms) VALUES ('r','s','LATEST','f',x'70',0,0,0)",
                [],
            )
            .unwrap();
        }
        let s = SqliteStore::open(&path).unwrap();
        assert_eq!(s.claim("me", 1, 10, 100).unwrap().len(), 1);
        conformance::a_fire_is_enqueued_once(&s);
        drop(s);
        SqliteStore::open(&path).expect("reopening runs no step twice");
    }
}
