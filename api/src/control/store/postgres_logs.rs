//! [`LogBackend`] on PostgreSQL. An append takes its numbers by updating the
//! shard's row, whose lock it holds until commit: appends to one shard from
//! any node commit in number order, so a reader that saw number n committed
//! can never later find a smaller one appear.

use super::logs::{
    LogBackend, LogstoreSpec, NewEntry, ShardHead, StoredEntry, TRIM_STEP, size_cut,
};
use super::postgres::{PostgresStore, failed};
use super::{NODE_SILENT_MS, StoreError};

fn spec(r: &postgres::Row, at: usize) -> LogstoreSpec {
    LogstoreSpec {
        shard_count: r.get::<_, i64>(at) as u32,
        ttl: r.get::<_, i64>(at + 1) as u32,
        max_bytes_per_shard: r.get(at + 2),
        create_time: r.get(at + 3),
    }
}

fn entry(r: &postgres::Row) -> StoredEntry {
    StoredEntry {
        shard: r.get::<_, i64>(0) as u32,
        seq: r.get(1),
        time_ms: r.get(2),
        body: r.get(3),
    }
}

impl LogBackend for PostgresStore {
    fn create_logstore(
        &self,
        project: &str,
        logstore: &str,
        s: &LogstoreSpec,
    ) -> Result<bool, StoreError> {
        let fail = failed("creating a logstore");
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(&fail)?;
        let created = tx
            .execute(
                "INSERT INTO logstores (project, logstore, shards, ttl_days, max_shard_bytes, created_ms)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                &[&project, &logstore, &i64::from(s.shard_count), &i64::from(s.ttl), &s.max_bytes_per_shard, &s.create_time],
            )
            .map_err(&fail)?
            == 1;
        if created {
            for shard in 0..i64::from(s.shard_count) {
                tx.execute(
                    "INSERT INTO log_shards (project, logstore, shard, next_seq, bytes) VALUES ($1, $2, $3, 1, 0)",
                    &[&project, &logstore, &shard],
                )
                .map_err(&fail)?;
            }
        }
        tx.commit().map_err(&fail)?;
        Ok(created)
    }

    fn logstore(&self, project: &str, logstore: &str) -> Result<Option<LogstoreSpec>, StoreError> {
        Ok(self
            .client()?
            .query_opt(
                "SELECT shards, ttl_days, max_shard_bytes, created_ms FROM logstores WHERE project = $1 AND logstore = $2",
                &[&project, &logstore],
            )
            .map_err(failed("reading a logstore"))?
            .map(|r| spec(&r, 0)))
    }

    fn list_logstores(
        &self,
        project: Option<&str>,
    ) -> Result<Vec<(String, String, LogstoreSpec)>, StoreError> {
        Ok(self
            .client()?
            .query(
                "SELECT project, logstore, shards, ttl_days, max_shard_bytes, created_ms FROM logstores
                 WHERE $1::text IS NULL OR project = $1 ORDER BY project, logstore",
                &[&project],
            )
            .map_err(failed("listing logstores"))?
            .iter()
            .map(|r| (r.get(0), r.get(1), spec(r, 2)))
            .collect())
    }

    fn delete_logstore(&self, project: &str, logstore: &str) -> Result<(), StoreError> {
        let fail = failed("deleting a logstore");
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(&fail)?;
        let removed = tx
            .execute(
                "DELETE FROM logstores WHERE project = $1 AND logstore = $2",
                &[&project, &logstore],
            )
            .map_err(&fail)?;
        if removed == 0 {
            return Err(StoreError::NotFound);
        }
        for table in ["log_shards", "log_entries"] {
            tx.execute(
                &format!("DELETE FROM {table} WHERE project = $1 AND logstore = $2"),
                &[&project, &logstore],
            )
            .map_err(&fail)?;
        }
        tx.commit().map_err(&fail)
    }

    fn append_logs(
        &self,
        project: &str,
        logstore: &str,
        shard: u32,
        entries: &[NewEntry],
    ) -> Result<i64, StoreError> {
        let fail = failed("appending log entries");
        let bytes: i64 = entries.iter().map(|e| e.body.len() as i64).sum();
        let (shard, count) = (i64::from(shard), entries.len() as i64);
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(&fail)?;
        let first: i64 = tx
            .query_opt(
                "UPDATE log_shards SET next_seq = next_seq + $4, bytes = bytes + $5
                 WHERE project = $1 AND logstore = $2 AND shard = $3 RETURNING next_seq - $4",
                &[&project, &logstore, &shard, &count, &bytes],
            )
            .map_err(&fail)?
            .ok_or(StoreError::NotFound)?
            .get(0);
        let seqs: Vec<i64> = (first..first + count).collect();
        let times: Vec<i64> = entries.iter().map(|e| e.time_ms).collect();
        let bodies: Vec<&str> = entries.iter().map(|e| e.body.as_str()).collect();
        tx.execute(
            "INSERT INTO log_entries (project, logstore, shard, seq, time_ms, body)
             SELECT $1, $2, $3, s, t, b FROM unnest($4::bigint[], $5::bigint[], $6::text[]) AS u(s, t, b)",
            &[&project, &logstore, &shard, &seqs, &times, &bodies],
        )
        .map_err(&fail)?;
        tx.commit().map_err(&fail)?;
        Ok(first)
    }

    fn shard_heads(&self, project: &str, logstore: &str) -> Result<Vec<ShardHead>, StoreError> {
        Ok(self
            .client()?
            .query(
                "SELECT s.shard, COALESCE((SELECT min(seq) FROM log_entries e WHERE e.project = s.project
                   AND e.logstore = s.logstore AND e.shard = s.shard), s.next_seq), s.next_seq
                 FROM log_shards s WHERE s.project = $1 AND s.logstore = $2 ORDER BY s.shard",
                &[&project, &logstore],
            )
            .map_err(failed("reading shard heads"))?
            .iter()
            .map(|r| ShardHead {
                shard: r.get::<_, i64>(0) as u32,
                begin: r.get(1),
                end: r.get(2),
            })
            .collect())
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
        Ok(self
            .client()?
            .query(
                "SELECT shard, seq, time_ms, body FROM log_entries WHERE project = $1 AND logstore = $2
                 AND shard = $3 AND seq >= $4 AND seq < $5 ORDER BY seq LIMIT $6",
                &[&project, &logstore, &i64::from(shard), &from, &to, &(max as i64)],
            )
            .map_err(failed("reading log entries"))?
            .iter()
            .map(entry)
            .collect())
    }

    fn read_logs_by_time(
        &self,
        project: &str,
        logstore: &str,
        from_ms: i64,
        to_ms: i64,
        max: usize,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let mut newest: Vec<StoredEntry> = self
            .client()?
            .query(
                "SELECT shard, seq, time_ms, body FROM log_entries WHERE project = $1 AND logstore = $2
                 AND time_ms >= $3 AND time_ms < $4 ORDER BY time_ms DESC, shard DESC, seq DESC LIMIT $5",
                &[&project, &logstore, &from_ms, &to_ms, &(max as i64)],
            )
            .map_err(failed("reading log entries"))?
            .iter()
            .map(entry)
            .collect();
        newest.reverse();
        Ok(newest)
    }

    fn trim_logs(&self, now_ms: i64) -> Result<u64, StoreError> {
        let fail = failed("trimming logstores");
        let mut client = self.client()?;
        let shards = client
            .query(
                "SELECT s.project, s.logstore, s.shard, l.ttl_days, l.max_shard_bytes
                 FROM log_shards s JOIN logstores l ON l.project = s.project AND l.logstore = s.logstore",
                &[],
            )
            .map_err(&fail)?;
        let mut removed = 0u64;
        for row in shards {
            let (project, logstore, shard): (String, String, i64) =
                (row.get(0), row.get(1), row.get(2));
            let (ttl_days, max): (i64, i64) = (row.get(3), row.get(4));
            // One shard per transaction, holding its row (appends wait).
            let mut tx = client.transaction().map_err(&fail)?;
            let Some(locked) = tx
                .query_opt(
                    "SELECT bytes FROM log_shards WHERE project = $1 AND logstore = $2 AND shard = $3 FOR UPDATE",
                    &[&project, &logstore, &shard],
                )
                .map_err(&fail)?
            else {
                continue;
            };
            let mut bytes: i64 = locked.get(0);
            let cutoff = now_ms - ttl_days * 86_400_000;
            let aged = tx
                .query_one(
                    "WITH gone AS (DELETE FROM log_entries WHERE project = $1 AND logstore = $2 AND shard = $3
                       AND time_ms < $4 RETURNING octet_length(body)::bigint AS len)
                     SELECT count(*), COALESCE(sum(len), 0)::bigint FROM gone",
                    &[&project, &logstore, &shard, &cutoff],
                )
                .map_err(&fail)?;
            removed += aged.get::<_, i64>(0) as u64;
            bytes -= aged.get::<_, i64>(1);
            while bytes > max {
                let oldest: Vec<(i64, i64)> = tx
                    .query(
                        "SELECT seq, octet_length(body)::bigint FROM log_entries WHERE project = $1
                         AND logstore = $2 AND shard = $3 ORDER BY seq LIMIT $4",
                        &[&project, &logstore, &shard, &(TRIM_STEP as i64)],
                    )
                    .map_err(&fail)?
                    .iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .collect();
                let Some((last, freed)) = size_cut(&oldest, bytes, max) else {
                    bytes = bytes.min(max);
                    break;
                };
                removed += tx
                    .execute(
                        "DELETE FROM log_entries WHERE project = $1 AND logstore = $2 AND shard = $3 AND seq <= $4",
                        &[&project, &logstore, &shard, &last],
                    )
                    .map_err(&fail)?;
                bytes -= freed;
            }
            tx.execute(
                "UPDATE log_shards SET bytes = $4 WHERE project = $1 AND logstore = $2 AND shard = $3",
                &[&project, &logstore, &shard, &bytes.max(0)],
            )
            .map_err(&fail)?;
            tx.commit().map_err(&fail)?;
        }
        Ok(removed)
    }

    fn claim_cursor(
        &self,
        name: &str,
        owner: &str,
        now_ms: i64,
        lease_until_ms: i64,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .client()?
            .query_opt(
                "INSERT INTO cursors AS c (name, position, owner, lease_until_ms) VALUES ($1, '', $2, $4)
                 ON CONFLICT (name) DO UPDATE SET owner = $2, lease_until_ms = $4
                 WHERE c.owner = $2 OR c.owner IS NULL OR c.lease_until_ms < $3
                    OR NOT EXISTS (SELECT 1 FROM nodes n WHERE n.node_id = c.owner AND n.heartbeat_ms >= $5)
                 RETURNING position",
                &[&name, &owner, &now_ms, &lease_until_ms, &(now_ms - NODE_SILENT_MS)],
            )
            .map_err(failed("claiming a cursor"))?
            .map(|r| r.get(0)))
    }

    fn advance_cursor(&self, name: &str, owner: &str, position: &str) -> Result<bool, StoreError> {
        Ok(self
            .client()?
            .execute(
                "UPDATE cursors SET position = $3 WHERE name = $1 AND owner = $2",
                &[&name, &owner, &position],
            )
            .map_err(failed("moving a cursor"))?
            == 1)
    }

    fn delete_cursors(&self, prefix: &str) -> Result<u64, StoreError> {
        self.client()?
            .execute(
                "DELETE FROM cursors WHERE starts_with(name, $1)",
                &[&prefix],
            )
            .map_err(failed("deleting cursors"))
    }
}
