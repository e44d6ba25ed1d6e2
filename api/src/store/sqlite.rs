//! The embedded store: SQLite in WAL mode, one file (`wasm-fc.db`) in the data dir.
//! WAL with `synchronous=FULL` makes every committed write survive a process or
//! machine crash; SQLite is the most tested embedded transactional store there is.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use super::{Kind, ListQuery, Page, QueuedInvocation, Store, StoreError};

/// SQLite-backed [`Store`].
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
    /// [`Store::generation`]: moved on after each resource write commits.
    generation: AtomicU64,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS resources (
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
CREATE INDEX IF NOT EXISTS async_queue_due ON async_queue (not_before_ms, id);
";

fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl SqliteStore {
    /// Opens (creating) the store file.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(backend)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(backend)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(backend)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(backend)?;
        conn.execute_batch(SCHEMA).map_err(backend)?;
        Ok(Self {
            conn: Mutex::new(conn),
            generation: AtomicU64::new(0),
        })
    }

    /// Called after a resource write committed, so a reader that sees the new
    /// generation also sees the new row.
    fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // SQLite rolls back an unfinished transaction; the connection stays usable.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn parse(body: String) -> Result<Value, StoreError> {
    serde_json::from_str(&body).map_err(|e| StoreError::Backend(format!("corrupt row: {e}")))
}

impl Store for SqliteStore {
    fn get(&self, kind: Kind, scope: &str, name: &str) -> Result<Option<Value>, StoreError> {
        let body: Option<String> = self
            .conn()
            .query_row(
                "SELECT body FROM resources WHERE kind=?1 AND scope=?2 AND name=?3",
                params![kind.as_str(), scope, name],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)?;
        body.map(parse).transpose()
    }

    fn insert(&self, kind: Kind, scope: &str, name: &str, body: &Value) -> Result<(), StoreError> {
        let changed = self
            .conn()
            .execute(
                "INSERT OR IGNORE INTO resources (kind, scope, name, body) VALUES (?1, ?2, ?3, ?4)",
                params![kind.as_str(), scope, name, body.to_string()],
            )
            .map_err(backend)?;
        if changed == 0 {
            Err(StoreError::AlreadyExists)
        } else {
            self.changed();
            Ok(())
        }
    }

    fn update(&self, kind: Kind, scope: &str, name: &str, body: &Value) -> Result<(), StoreError> {
        let changed = self
            .conn()
            .execute(
                "UPDATE resources SET body=?4 WHERE kind=?1 AND scope=?2 AND name=?3",
                params![kind.as_str(), scope, name, body.to_string()],
            )
            .map_err(backend)?;
        if changed == 0 {
            Err(StoreError::NotFound)
        } else {
            self.changed();
            Ok(())
        }
    }

    fn upsert(&self, kind: Kind, scope: &str, name: &str, body: &Value) -> Result<(), StoreError> {
        self.conn()
            .execute("INSERT OR REPLACE INTO resources (kind, scope, name, body) VALUES (?1, ?2, ?3, ?4)", params![kind.as_str(), scope, name, body.to_string()])
            .map_err(backend)?;
        self.changed();
        Ok(())
    }

    fn delete(&self, kind: Kind, scope: &str, name: &str) -> Result<(), StoreError> {
        let changed = self
            .conn()
            .execute(
                "DELETE FROM resources WHERE kind=?1 AND scope=?2 AND name=?3",
                params![kind.as_str(), scope, name],
            )
            .map_err(backend)?;
        if changed == 0 {
            Err(StoreError::NotFound)
        } else {
            self.changed();
            Ok(())
        }
    }

    fn list(&self, kind: Kind, scope: &str, query: &ListQuery) -> Result<Page, StoreError> {
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
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
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
            .map_err(backend)?;
        let mut page = Page::default();
        for row in rows {
            let (name, body) = row.map_err(backend)?;
            if page.items.len() == limit {
                page.next = Some(name);
                break;
            }
            page.items.push(parse(body)?);
        }
        Ok(page)
    }

    fn list_all(&self, kind: Kind) -> Result<Vec<Value>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT body FROM resources WHERE kind=?1 ORDER BY scope, name")
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![kind.as_str()], |r| r.get::<_, String>(0))
            .map_err(backend)?;
        rows.map(|row| row.map_err(backend).and_then(parse))
            .collect()
    }

    fn count(&self, kind: Kind, scope: &str) -> Result<u64, StoreError> {
        self.conn()
            .query_row(
                "SELECT COUNT(*) FROM resources WHERE kind=?1 AND scope=?2",
                params![kind.as_str(), scope],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(backend)
    }

    fn next_sequence(&self, name: &str) -> Result<i64, StoreError> {
        self.conn()
            .query_row(
                "INSERT INTO sequences (name, value) VALUES (?1, 1) ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value",
                params![name],
                |r| r.get(0),
            )
            .map_err(backend)
    }

    fn enqueue_many(&self, invocations: &[QueuedInvocation]) -> Result<Vec<i64>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        let mut ids = Vec::with_capacity(invocations.len());
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO async_queue (request_id, service, qualifier, function, payload, attempts, not_before_ms, enqueued_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(backend)?;
            for inv in invocations {
                insert
                    .execute(params![
                        inv.request_id,
                        inv.service,
                        inv.qualifier,
                        inv.function,
                        inv.payload,
                        inv.attempts,
                        inv.not_before_ms,
                        inv.enqueued_ms
                    ])
                    .map_err(backend)?;
                ids.push(tx.last_insert_rowid());
            }
        }
        tx.commit().map_err(backend)?;
        Ok(ids)
    }

    fn claim(
        &self,
        now_ms: i64,
        max: usize,
        lease_until_ms: i64,
    ) -> Result<Vec<QueuedInvocation>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        let claimed = {
            let mut select = tx
                .prepare_cached(
                    "SELECT id, request_id, service, qualifier, function, payload, attempts, not_before_ms, enqueued_ms FROM async_queue \
                     WHERE not_before_ms <= ?1 ORDER BY not_before_ms, id LIMIT ?2",
                )
                .map_err(backend)?;
            let rows = select
                .query_map(params![now_ms, max as i64], |r| {
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
                    })
                })
                .map_err(backend)?;
            let claimed = rows.collect::<Result<Vec<_>, _>>().map_err(backend)?;
            let mut lease = tx
                .prepare_cached("UPDATE async_queue SET not_before_ms = ?2 WHERE id = ?1")
                .map_err(backend)?;
            for inv in &claimed {
                lease
                    .execute(params![inv.id, lease_until_ms])
                    .map_err(backend)?;
            }
            claimed
        };
        if !claimed.is_empty() {
            tx.commit().map_err(backend)?;
        }
        Ok(claimed)
    }

    fn reschedule(&self, id: i64, attempts: u32, not_before_ms: i64) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "UPDATE async_queue SET attempts=?2, not_before_ms=?3 WHERE id=?1",
                params![id, attempts, not_before_ms],
            )
            .map_err(backend)?;
        Ok(())
    }

    fn complete(&self, id: i64) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM async_queue WHERE id=?1", params![id])
            .map_err(backend)?;
        Ok(())
    }

    fn requeue_all(&self, now_ms: i64) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "UPDATE async_queue SET not_before_ms = ?1 WHERE not_before_ms > ?1",
                params![now_ms],
            )
            .map_err(backend)?;
        Ok(())
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn queue_depth(&self) -> Result<u64, StoreError> {
        self.conn()
            .query_row("SELECT COUNT(*) FROM async_queue", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(backend)
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

    #[test]
    fn crud_and_paging_follow_fc_rules() {
        let (_dir, s) = store();
        for name in ["abc", "abd", "ade", "bcd", "bde", "zzz"] {
            s.insert(Kind::Service, "", name, &json!({ "serviceName": name }))
                .unwrap();
        }
        assert!(matches!(
            s.insert(Kind::Service, "", "abc", &json!({})),
            Err(StoreError::AlreadyExists)
        ));
        let page = s
            .list(
                Kind::Service,
                "",
                &ListQuery {
                    start: Some("b".into()),
                    limit: 2,
                    ..Default::default()
                },
            )
            .unwrap();
        let names: Vec<&str> = page
            .items
            .iter()
            .filter_map(|v| v["serviceName"].as_str())
            .collect();
        assert_eq!(names, ["bcd", "bde"]);
        assert_eq!(page.next.as_deref(), Some("zzz"));
        let page = s
            .list(
                Kind::Service,
                "",
                &ListQuery {
                    prefix: "a".into(),
                    limit: 10,
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(page.items.len(), 3);
        assert!(page.next.is_none());
        s.delete(Kind::Service, "", "abc").unwrap();
        assert!(matches!(
            s.delete(Kind::Service, "", "abc"),
            Err(StoreError::NotFound)
        ));
        assert_eq!(s.count(Kind::Service, "").unwrap(), 5);
    }

    #[test]
    fn sequences_never_reuse_and_the_queue_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        {
            let s = SqliteStore::open(&path).unwrap();
            assert_eq!(s.next_sequence("v/demo").unwrap(), 1);
            assert_eq!(s.next_sequence("v/demo").unwrap(), 2);
            let inv = QueuedInvocation {
                id: 0,
                request_id: "r".into(),
                service: "s".into(),
                qualifier: "LATEST".into(),
                function: "f".into(),
                payload: b"p".to_vec(),
                attempts: 0,
                not_before_ms: 0,
                enqueued_ms: 0,
            };
            s.enqueue_many(&[inv]).unwrap();
        }
        let s = SqliteStore::open(&path).unwrap();
        assert_eq!(s.next_sequence("v/demo").unwrap(), 3);
        let due = s.claim(1, 10, 500).unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].payload, b"p");
        assert!(s.claim(499, 10, 500).unwrap().is_empty(), "leased");
        assert_eq!(s.claim(500, 10, 600).unwrap().len(), 1, "the lease ran out");
        s.reschedule(due[0].id, 1, 1000).unwrap();
        assert!(s.claim(999, 10, 2000).unwrap().is_empty());
        s.complete(due[0].id).unwrap();
        assert_eq!(s.queue_depth().unwrap(), 0);
    }
}
