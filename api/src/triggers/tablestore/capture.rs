//! Change capture on a PostgreSQL table: a row trigger plus a change table
//! (docs/tablestore.md). Chosen over logical decoding because it needs
//! nothing from the server's configuration (`wal_level` may stay `replica`,
//! no replication slot to leak) and works on any PostgreSQL 11+.
//!
//! Everything lives in the schema `wasm_fc_capture` of the instance's
//! database:
//! - `tables(tbl, next_seq, pk)`: one row per captured table. The trigger
//!   takes each change's number by updating this row, whose lock it holds
//!   until its transaction ends: changes to one table are numbered in commit
//!   order, so a consumer that read up to n never later finds a smaller
//!   number commit.
//! - `changes(tbl, seq, op, ts_us, old, new)`: the rows as JSON, before and
//!   after, removed once every consumer has passed them.
//! - `consumers(tbl, consumer, position, owner, lease_until_ms)`: each
//!   trigger's position, leased by one node at a time.
//! - `record()`: the trigger function (`SECURITY DEFINER`, so writers need no
//!   rights on the schema), which also `NOTIFY`s `wasm_fc_capture` on commit.
//!
//! Setting up needs `CREATE` on the database (for the schema) and ownership
//! of the table (for `CREATE TRIGGER`).

use serde_json::Value;
use tokio_postgres::{Client, NoTls};

/// The NOTIFY channel of committed changes (payload: the table).
pub const CHANNEL: &str = "wasm_fc_capture";

/// What can go wrong talking to the instance.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("cannot connect to the table instance: {0}")]
    Connect(#[source] tokio_postgres::Error),
    #[error("table {0} does not exist")]
    NoTable(String),
    #[error("table {0} has no primary key; a TableStore trigger needs one")]
    NoPrimaryKey(String),
    #[error("the table instance failed while {0}")]
    Sql(&'static str, #[source] tokio_postgres::Error),
}

fn sql(what: &'static str) -> impl Fn(tokio_postgres::Error) -> CaptureError {
    move |e| CaptureError::Sql(what, e)
}

/// Connects, and drives the connection on a task; notifications go to `on_notice`.
pub async fn connect(
    url: &str,
    on_notice: Option<tokio::sync::mpsc::UnboundedSender<()>>,
) -> Result<Client, CaptureError> {
    let (client, mut connection) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(CaptureError::Connect)?;
    tokio::spawn(async move {
        use futures_util::StreamExt as _;
        let mut messages = std::pin::pin!(futures_util::stream::poll_fn(
            move |cx| connection.poll_message(cx)
        ));
        while let Some(message) = messages.next().await {
            match message {
                Ok(tokio_postgres::AsyncMessage::Notification(_)) => {
                    if let Some(tx) = &on_notice {
                        let _ = tx.send(());
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::debug!(error = %e, "table instance connection ended");
                    break;
                }
            }
        }
    });
    Ok(client)
}

/// `schema.table` as a quoted identifier, and the text the capture keys it
/// by (`schema.table`, `public` when none is given).
pub fn qualified(table: &str) -> (String, String) {
    let (schema, name) = table.split_once('.').unwrap_or(("public", table));
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    (
        format!("{}.{}", quote(schema), quote(name)),
        format!("{schema}.{name}"),
    )
}

const SCHEMA: &str = "
CREATE SCHEMA IF NOT EXISTS wasm_fc_capture;
CREATE TABLE IF NOT EXISTS wasm_fc_capture.tables (
    tbl TEXT PRIMARY KEY, next_seq BIGINT NOT NULL, pk TEXT[] NOT NULL);
CREATE TABLE IF NOT EXISTS wasm_fc_capture.changes (
    tbl TEXT NOT NULL, seq BIGINT NOT NULL, op TEXT NOT NULL, ts_us BIGINT NOT NULL,
    old JSONB, new JSONB, PRIMARY KEY (tbl, seq));
CREATE TABLE IF NOT EXISTS wasm_fc_capture.consumers (
    tbl TEXT NOT NULL, consumer TEXT NOT NULL, position BIGINT NOT NULL,
    owner TEXT, lease_until_ms BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (tbl, consumer));
CREATE OR REPLACE FUNCTION wasm_fc_capture.record() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    k TEXT := TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME;
    s BIGINT;
BEGIN
    UPDATE wasm_fc_capture.tables SET next_seq = next_seq + 1 WHERE tbl = k RETURNING next_seq - 1 INTO s;
    IF s IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO wasm_fc_capture.changes (tbl, seq, op, ts_us, old, new) VALUES (
        k, s, TG_OP, (extract(epoch FROM clock_timestamp()) * 1000000)::BIGINT,
        CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
        CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
    PERFORM pg_notify('wasm_fc_capture', k);
    RETURN NULL;
END $$;
";

/// A lock key serializing set-up and tear-down across nodes.
const SETUP_LOCK: i64 = 0x7761_736d_6663_0010;

/// Sets capture up on `table` (idempotent) and registers `consumer` at the
/// current end (a new trigger sees changes from now on).
pub async fn set_up(client: &mut Client, table: &str, consumer: &str) -> Result<(), CaptureError> {
    let (quoted, key) = qualified(table);
    let tx = client.transaction().await.map_err(sql("starting set-up"))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SETUP_LOCK])
        .await
        .map_err(sql("locking set-up"))?;
    tx.batch_execute(SCHEMA)
        .await
        .map_err(sql("creating the capture schema"))?;
    let exists = tx
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&quoted])
        .await
        .map_err(sql("finding the table"))?
        .get::<_, bool>(0);
    if !exists {
        return Err(CaptureError::NoTable(key));
    }
    let pk: Vec<String> = tx
        .query(
            "SELECT a.attname::text FROM pg_index i
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
             WHERE i.indrelid = $1::text::regclass AND i.indisprimary
             ORDER BY array_position(i.indkey::int2[], a.attnum)",
            &[&quoted],
        )
        .await
        .map_err(sql("reading the primary key"))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if pk.is_empty() {
        return Err(CaptureError::NoPrimaryKey(key));
    }
    tx.execute(
        "INSERT INTO wasm_fc_capture.tables (tbl, next_seq, pk) VALUES ($1, 1, $2)
         ON CONFLICT (tbl) DO UPDATE SET pk = $2",
        &[&key, &pk],
    )
    .await
    .map_err(sql("registering the table"))?;
    let installed = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = $1::text::regclass AND tgname = 'wasm_fc_capture')",
            &[&quoted],
        )
        .await
        .map_err(sql("finding the capture trigger"))?
        .get::<_, bool>(0);
    if !installed {
        tx.batch_execute(&format!(
            "CREATE TRIGGER wasm_fc_capture AFTER INSERT OR UPDATE OR DELETE ON {quoted}
             FOR EACH ROW EXECUTE FUNCTION wasm_fc_capture.record()"
        ))
        .await
        .map_err(sql("creating the capture trigger"))?;
    }
    tx.execute(
        "INSERT INTO wasm_fc_capture.consumers (tbl, consumer, position)
         SELECT $1, $2, next_seq - 1 FROM wasm_fc_capture.tables WHERE tbl = $1
         ON CONFLICT DO NOTHING",
        &[&key, &consumer],
    )
    .await
    .map_err(sql("registering the consumer"))?;
    tx.commit().await.map_err(sql("committing set-up"))
}

/// Removes `consumer`; when it was the table's last, removes the capture
/// trigger and the table's changes too.
pub async fn tear_down(
    client: &mut Client,
    table: &str,
    consumer: &str,
) -> Result<(), CaptureError> {
    let (quoted, key) = qualified(table);
    let tx = client
        .transaction()
        .await
        .map_err(sql("starting tear-down"))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SETUP_LOCK])
        .await
        .map_err(sql("locking tear-down"))?;
    let schema = tx
        .query_one(
            "SELECT to_regclass('wasm_fc_capture.consumers') IS NOT NULL",
            &[],
        )
        .await
        .map_err(sql("finding the capture schema"))?
        .get::<_, bool>(0);
    if !schema {
        return Ok(());
    }
    tx.execute(
        "DELETE FROM wasm_fc_capture.consumers WHERE tbl = $1 AND consumer = $2",
        &[&key, &consumer],
    )
    .await
    .map_err(sql("removing the consumer"))?;
    let left: i64 = tx
        .query_one(
            "SELECT count(*) FROM wasm_fc_capture.consumers WHERE tbl = $1",
            &[&key],
        )
        .await
        .map_err(sql("counting consumers"))?
        .get(0);
    if left == 0 {
        if tx
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&quoted])
            .await
            .map_err(sql("finding the table"))?
            .get::<_, bool>(0)
        {
            tx.batch_execute(&format!(
                "DROP TRIGGER IF EXISTS wasm_fc_capture ON {quoted}"
            ))
            .await
            .map_err(sql("dropping the capture trigger"))?;
        }
        tx.execute(
            "DELETE FROM wasm_fc_capture.changes WHERE tbl = $1",
            &[&key],
        )
        .await
        .map_err(sql("removing changes"))?;
        tx.execute("DELETE FROM wasm_fc_capture.tables WHERE tbl = $1", &[&key])
            .await
            .map_err(sql("unregistering the table"))?;
    }
    tx.commit().await.map_err(sql("committing tear-down"))
}

/// One captured change.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub seq: i64,
    /// `INSERT`, `UPDATE` or `DELETE`.
    pub op: String,
    /// Commit-time clock, Unix µs.
    pub ts_us: i64,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

/// Takes (or keeps) `consumer`'s lease for `owner` until `until_ms`; its
/// position, or `None` while another owner's lease runs (or it is gone).
pub async fn claim(
    client: &Client,
    table: &str,
    consumer: &str,
    owner: &str,
    now_ms: i64,
    until_ms: i64,
) -> Result<Option<i64>, CaptureError> {
    let (_, key) = qualified(table);
    Ok(client
        .query_opt(
            "UPDATE wasm_fc_capture.consumers SET owner = $3, lease_until_ms = $5
             WHERE tbl = $1 AND consumer = $2 AND (owner IS NULL OR owner = $3 OR lease_until_ms < $4)
             RETURNING position",
            &[&key, &consumer, &owner, &now_ms, &until_ms],
        )
        .await
        .map_err(sql("claiming the consumer"))?
        .map(|r| r.get(0)))
}

/// The table's primary key columns (empty when the table is not captured).
pub async fn primary_key(client: &Client, table: &str) -> Result<Vec<String>, CaptureError> {
    let (_, key) = qualified(table);
    Ok(client
        .query_opt(
            "SELECT pk FROM wasm_fc_capture.tables WHERE tbl = $1",
            &[&key],
        )
        .await
        .map_err(sql("reading the primary key"))?
        .map(|r| r.get(0))
        .unwrap_or_default())
}

/// Up to `max` changes after `position`, oldest first. Numbers have no gaps
/// (an aborted change rolls its number back), so the range is bounded above
/// too: with stale statistics PostgreSQL would otherwise fetch every row past
/// `position` and sort them, once per batch.
pub async fn read(
    client: &Client,
    table: &str,
    position: i64,
    max: i64,
) -> Result<Vec<Change>, CaptureError> {
    let (_, key) = qualified(table);
    Ok(client
        .query(
            "SELECT seq, op, ts_us, old, new FROM wasm_fc_capture.changes
             WHERE tbl = $1 AND seq > $2 AND seq <= $2 + $3 ORDER BY seq LIMIT $3",
            &[&key, &position, &max],
        )
        .await
        .map_err(sql("reading changes"))?
        .iter()
        .map(|r| Change {
            seq: r.get(0),
            op: r.get(1),
            ts_us: r.get(2),
            old: r.get(3),
            new: r.get(4),
        })
        .collect())
}

/// What [`advance`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advanced {
    /// `false` when `owner` lost the lease (the position did not move).
    pub moved: bool,
    /// Changes up to here are removed (every consumer has passed them).
    pub pruned_to: i64,
}

/// Moves `consumer` to `position` if `owner` still holds it, and removes the
/// changes every consumer has passed, from `pruned_from` on (the last
/// call's `pruned_to`: deleting from the start each time would walk the
/// index over every dead row not yet vacuumed).
pub async fn advance(
    client: &Client,
    table: &str,
    consumer: &str,
    owner: &str,
    position: i64,
    pruned_from: i64,
) -> Result<Advanced, CaptureError> {
    let (_, key) = qualified(table);
    // One statement, one commit. The DELETE sees the positions as they were
    // before this UPDATE, so pruning trails by one batch.
    let row = client
        .query_one(
            "WITH moved AS (
                 UPDATE wasm_fc_capture.consumers SET position = $4
                 WHERE tbl = $1 AND consumer = $2 AND owner = $3 RETURNING 1),
             floor AS (SELECT min(position) AS m FROM wasm_fc_capture.consumers WHERE tbl = $1),
             gone AS (
                 DELETE FROM wasm_fc_capture.changes WHERE tbl = $1
                 AND seq > $5 AND seq <= (SELECT m FROM floor))
             SELECT (SELECT count(*) FROM moved), COALESCE((SELECT m FROM floor), $5)",
            &[&key, &consumer, &owner, &position, &pruned_from],
        )
        .await
        .map_err(sql("moving the consumer"))?;
    Ok(Advanced {
        moved: row.get::<_, i64>(0) == 1,
        pruned_to: row.get::<_, i64>(1).max(pruned_from),
    })
}
