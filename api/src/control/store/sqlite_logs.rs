//! [`LogBackend`] on SQLite: one writer serializes appends, so an entry's
//! number and its commit order agree without further locking.

use rusqlite::{OptionalExtension as _, TransactionBehavior, params};

use super::StoreError;
use super::logs::{
    LogBackend, LogstoreSpec, NewEntry, ShardHead, StoredEntry, TRIM_STEP, size_cut,
};
use super::sqlite::{SqliteStore, backend};

fn spec(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<LogstoreSpec> {
    Ok(LogstoreSpec {
        shard_count: r.get::<_, i64>(at)? as u32,
        ttl: r.get::<_, i64>(at + 1)? as u32,
        max_bytes_per_shard: r.get(at + 2)?,
        create_time: r.get(at + 3)?,
    })
}

fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEntry> {
    Ok(StoredEntry {
        shard: r.get::<_, i64>(0)? as u32,
        seq: r.get(1)?,
        time_ms: r.get(2)?,
        body: r.get(3)?,
    })
}

impl LogBackend for SqliteStore {
    fn create_logstore(
        &self,
        project: &str,
        logstore: &str,
        s: &LogstoreSpec,
    ) -> Result<bool, StoreError> {
        let failed = backend("creating a logstore");
        let mut conn = self.writer();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&failed)?;
        let created = tx
            .execute(
                "INSERT INTO logstores (project, logstore, shards, ttl_days, max_shard_bytes, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                params![project, logstore, s.shard_count, s.ttl, s.max_bytes_per_shard, s.create_time],
            )
            .map_err(&failed)?
            == 1;
        if created {
            for shard in 0..s.shard_count {
                tx.execute(
                    "INSERT INTO log_shards (project, logstore, shard, next_seq, bytes) VALUES (?1, ?2, ?3, 1, 0)",
                    params![project, logstore, shard],
                )
                .map_err(&failed)?;
            }
        }
        tx.commit().map_err(&failed)?;
        Ok(created)
    }

    fn logstore(&self, project: &str, logstore: &str) -> Result<Option<LogstoreSpec>, StoreError> {
        self.reader()
            .query_row(
                "SELECT shards, ttl_days, max_shard_bytes, created_ms FROM logstores WHERE project = ?1 AND logstore = ?2",
                params![project, logstore],
                |r| spec(r, 0),
            )
            .optional()
            .map_err(backend("reading a logstore"))
    }

    fn list_logstores(
        &self,
        project: Option<&str>,
    ) -> Result<Vec<(String, String, LogstoreSpec)>, StoreError> {
        let failed = backend("listing logstores");
        let conn = self.reader();
        let mut stmt = conn
            .prepare(
                "SELECT project, logstore, shards, ttl_days, max_shard_bytes, created_ms FROM logstores
                 WHERE ?1 IS NULL OR project = ?1 ORDER BY project, logstore",
            )
            .map_err(&failed)?;
        stmt.query_map(params![project], |r| {
            Ok((r.get(0)?, r.get(1)?, spec(r, 2)?))
        })
        .map_err(&failed)?
        .collect::<Result<_, _>>()
        .map_err(&failed)
    }

    fn delete_logstore(&self, project: &str, logstore: &str) -> Result<(), StoreError> {
        let failed = backend("deleting a logstore");
        let mut conn = self.writer();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&failed)?;
        let removed = tx
            .execute(
                "DELETE FROM logstores WHERE project = ?1 AND logstore = ?2",
                params![project, logstore],
            )
            .map_err(&failed)?;
        if removed == 0 {
            return Err(StoreError::NotFound);
        }
        for table in ["log_shards", "log_entries"] {
            tx.execute(
                &format!("DELETE FROM {table} WHERE project = ?1 AND logstore = ?2"),
                params![project, logstore],
            )
            .map_err(&failed)?;
        }
        tx.commit().map_err(&failed)
    }

    fn append_logs(
        &self,
        project: &str,
        logstore: &str,
        shard: u32,
        entries: &[NewEntry],
    ) -> Result<i64, StoreError> {
        let failed = backend("appending log entries");
        let bytes: i64 = entries.iter().map(|e| e.body.len() as i64).sum();
        let mut conn = self.writer();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&failed)?;
        let first: i64 = tx
            .query_row(
                "UPDATE log_shards SET next_seq = next_seq + ?4, bytes = bytes + ?5
                 WHERE project = ?1 AND logstore = ?2 AND shard = ?3 RETURNING next_seq - ?4",
                params![project, logstore, shard, entries.len() as i64, bytes],
                |r| r.get(0),
            )
            .optional()
            .map_err(&failed)?
            .ok_or(StoreError::NotFound)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO log_entries (project, logstore, shard, seq, time_ms, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(&failed)?;
            for (i, e) in entries.iter().enumerate() {
                insert
                    .execute(params![
                        project,
                        logstore,
                        shard,
                        first + i as i64,
                        e.time_ms,
                        e.body
                    ])
                    .map_err(&failed)?;
            }
        }
        tx.commit().map_err(&failed)?;
        Ok(first)
    }

    fn shard_heads(&self, project: &str, logstore: &str) -> Result<Vec<ShardHead>, StoreError> {
        let failed = backend("reading shard heads");
        let conn = self.reader();
        let mut stmt = conn
            .prepare(
                "SELECT s.shard, COALESCE((SELECT min(seq) FROM log_entries e WHERE e.project = s.project
                   AND e.logstore = s.logstore AND e.shard = s.shard), s.next_seq), s.next_seq
                 FROM log_shards s WHERE s.project = ?1 AND s.logstore = ?2 ORDER BY s.shard",
            )
            .map_err(&failed)?;
        stmt.query_map(params![project, logstore], |r| {
            Ok(ShardHead {
                shard: r.get::<_, i64>(0)? as u32,
                begin: r.get(1)?,
                end: r.get(2)?,
            })
        })
        .map_err(&failed)?
        .collect::<Result<_, _>>()
        .map_err(&failed)
    }

    fn read_logs(
        &self,
        project: &str,
        logstore: &str,
        shard: u32,
        from: i64,
        to: i64,
        max: usize,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        // Numbers have no gaps: bounding the range keeps the read to `max`
        // rows even when the planner's statistics are stale.
        let to = to.min(from.saturating_add(max as i64));
        let failed = backend("reading log entries");
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(
                "SELECT shard, seq, time_ms, body FROM log_entries WHERE project = ?1 AND logstore = ?2
                 AND shard = ?3 AND seq >= ?4 AND seq < ?5 ORDER BY seq LIMIT ?6",
            )
            .map_err(&failed)?;
        stmt.query_map(
            params![project, logstore, shard, from, to, max as i64],
            entry,
        )
        .map_err(&failed)?
        .collect::<Result<_, _>>()
        .map_err(&failed)
    }

    fn read_logs_by_time(
        &self,
        project: &str,
        logstore: &str,
        from_ms: i64,
        to_ms: i64,
        max: usize,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let failed = backend("reading log entries");
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(
                "SELECT shard, seq, time_ms, body FROM log_entries WHERE project = ?1 AND logstore = ?2
                 AND time_ms >= ?3 AND time_ms < ?4 ORDER BY time_ms DESC, shard DESC, seq DESC LIMIT ?5",
            )
            .map_err(&failed)?;
        let mut newest: Vec<StoredEntry> = stmt
            .query_map(
                params![project, logstore, from_ms, to_ms, max as i64],
                entry,
            )
            .map_err(&failed)?
            .collect::<Result<_, _>>()
            .map_err(&failed)?;
        newest.reverse();
        Ok(newest)
    }

    fn trim_logs(&self, now_ms: i64) -> Result<u64, StoreError> {
        let failed = backend("trimming logstores");
        let mut conn = self.writer();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&failed)?;
        let shards: Vec<(String, String, i64, i64, i64, i64)> = {
            let mut stmt = tx
                .prepare(
                    "SELECT s.project, s.logstore, s.shard, s.bytes, l.ttl_days, l.max_shard_bytes
                     FROM log_shards s JOIN logstores l ON l.project = s.project AND l.logstore = s.logstore",
                )
                .map_err(&failed)?;
            stmt.query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .map_err(&failed)?
            .collect::<Result<_, _>>()
            .map_err(&failed)?
        };
        let mut removed = 0u64;
        for (project, logstore, shard, mut bytes, ttl_days, max) in shards {
            let cutoff = now_ms - ttl_days * 86_400_000;
            let (n, freed): (i64, i64) = tx
                .query_row(
                    "SELECT count(*), COALESCE(sum(length(CAST(body AS BLOB))), 0) FROM log_entries
                     WHERE project = ?1 AND logstore = ?2 AND shard = ?3 AND time_ms < ?4",
                    params![project, logstore, shard, cutoff],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(&failed)?;
            if n > 0 {
                tx.execute(
                    "DELETE FROM log_entries WHERE project = ?1 AND logstore = ?2 AND shard = ?3 AND time_ms < ?4",
                    params![project, logstore, shard, cutoff],
                )
                .map_err(&failed)?;
                bytes -= freed;
                removed += n as u64;
            }
            while bytes > max {
                let oldest: Vec<(i64, i64)> = {
                    let mut stmt = tx
                        .prepare_cached(
                            "SELECT seq, length(CAST(body AS BLOB)) FROM log_entries WHERE project = ?1 AND logstore = ?2
                             AND shard = ?3 ORDER BY seq LIMIT ?4",
                        )
                        .map_err(&failed)?;
                    stmt.query_map(params![project, logstore, shard, TRIM_STEP as i64], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .map_err(&failed)?
                    .collect::<Result<_, _>>()
                    .map_err(&failed)?
                };
                let Some((last, freed)) = size_cut(&oldest, bytes, max) else {
                    bytes = bytes.min(max);
                    break;
                };
                removed += tx
                    .execute(
                        "DELETE FROM log_entries WHERE project = ?1 AND logstore = ?2 AND shard = ?3 AND seq <= ?4",
                        params![project, logstore, shard, last],
                    )
                    .map_err(&failed)? as u64;
                bytes -= freed;
            }
            tx.execute(
                "UPDATE log_shards SET bytes = ?4 WHERE project = ?1 AND logstore = ?2 AND shard = ?3",
                params![project, logstore, shard, bytes.max(0)],
            )
            .map_err(&failed)?;
        }
        tx.commit().map_err(&failed)?;
        Ok(removed)
    }

    /// One node owns a SQLite store (the data dir's lock): any other owner is
    /// a process that is gone, so the claim always succeeds.
    fn claim_cursor(
        &self,
        name: &str,
        owner: &str,
        _now_ms: i64,
        lease_until_ms: i64,
    ) -> Result<Option<String>, StoreError> {
        let failed = backend("claiming a cursor");
        let conn = self.writer();
        conn.execute(
            "INSERT INTO cursors (name, position, owner, lease_until_ms) VALUES (?1, '', ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET owner = ?2, lease_until_ms = ?3",
            params![name, owner, lease_until_ms],
        )
        .map_err(&failed)?;
        conn.query_row(
            "SELECT position FROM cursors WHERE name = ?1 AND owner = ?2",
            params![name, owner],
            |r| r.get(0),
        )
        .optional()
        .map_err(&failed)
    }

    fn advance_cursor(&self, name: &str, owner: &str, position: &str) -> Result<bool, StoreError> {
        Ok(self
            .writer()
            .execute(
                "UPDATE cursors SET position = ?3 WHERE name = ?1 AND owner = ?2",
                params![name, owner, position],
            )
            .map_err(backend("moving a cursor"))?
            == 1)
    }

    fn delete_cursors(&self, prefix: &str) -> Result<u64, StoreError> {
        Ok(self
            .writer()
            .execute(
                "DELETE FROM cursors WHERE substr(name, 1, length(?1)) = ?1",
                params![prefix],
            )
            .map_err(backend("deleting cursors"))? as u64)
    }
}
