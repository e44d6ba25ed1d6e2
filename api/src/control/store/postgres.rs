//! The shared backend: PostgreSQL, for several nodes on one database.
//!
//! - Write transactions take one transaction-scoped advisory lock first, so
//!   check-then-write rules are serialized across every node as SQLite's
//!   `BEGIN IMMEDIATE` serializes them in one process; each committed write
//!   sends `NOTIFY wasm_fc_changes`, which every node's listener turns into a
//!   new store generation (its caches go stale within one round trip).
//! - Queue claims are `SELECT … FOR UPDATE SKIP LOCKED` under leases that
//!   expire: a dead node's work runs again when its lease runs out, and a node
//!   never takes rows another node holds.
//! - The schema is versioned with refinery; a session-level advisory lock
//!   makes nodes that start together migrate one after the other.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use super::change_notices::{self, ChangeNotices};

use postgres::NoTls;
use postgres::fallible_iterator::FallibleIterator as _;
use r2d2_postgres::PostgresConnectionManager;
use serde_json::Value;

use super::{
    ClaimedFire, EventOrigin, FIRE_CLAIM_RETENTION_MS, Kind, ListQuery, NODE_ROW_RETENTION_MS,
    NODE_SILENT_MS, Page, QueuedInvocation, Reader, SharedStore, Store, StoreError, Tx, TxBody,
    parse_node,
};

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;
type Connection = r2d2::PooledConnection<PostgresConnectionManager<NoTls>>;

/// Connections per node: 8 (the blocking pool runs store calls; more would
/// only queue inside PostgreSQL).
const POOL_SIZE: u32 = 8;
/// How long a call waits for a connection before failing (and the API
/// answering 503): 5 s.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The NOTIFY channel of resource writes.
const CHANGES: &str = "wasm_fc_changes";
/// Advisory lock keys: write transactions, and schema migrations.
const WRITE_LOCK: i64 = 0x7761_736d_6663_0001;
const MIGRATION_LOCK: i64 = 0x7761_736d_6663_0002;

mod embedded {
    refinery::embed_migrations!("migrations/postgres");
}

/// PostgreSQL-backed [`Store`].
pub struct PostgresStore {
    /// Always `Some` until drop, which takes it (see the `Drop` impl).
    pool: Option<Pool>,
    config: postgres::Config,
    /// This store's id (random per open): the payload of its NOTIFYs, which
    /// its own listener skips (its writes moved the generation already).
    instance: String,
    /// Own notices sent and delivered: a write waits for its own (see
    /// [`change_notices`]).
    notices: Arc<ChangeNotices>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("pool_size", &self.pool.as_ref().map(|p| p.max_size()))
            .finish_non_exhaustive()
    }
}

/// Wraps a failure while doing `operation`: one that says PostgreSQL cannot be
/// reached (no pooled connection, a closed connection, an I/O error, or the
/// server shutting down or not yet accepting) is [`StoreError::Unavailable`];
/// any other is a backend failure.
pub(super) fn failed<E: std::error::Error + Send + Sync + 'static>(
    operation: &'static str,
) -> impl Fn(E) -> StoreError {
    move |e| {
        if is_unreachable(&e) {
            StoreError::Unavailable {
                operation,
                source: Box::new(e),
            }
        } else {
            StoreError::Backend {
                operation,
                source: Box::new(e),
            }
        }
    }
}

/// Whether `e` means the database cannot be reached rather than that it
/// refused a statement.
fn is_unreachable(e: &(dyn std::error::Error + 'static)) -> bool {
    if e.is::<r2d2::Error>() {
        return true;
    }
    let Some(pg) = e.downcast_ref::<postgres::Error>() else {
        return false;
    };
    match pg.as_db_error() {
        // 08: connection exception; 57P01-57P03: admin shutdown, crash
        // shutdown, cannot connect now.
        Some(db) => {
            let code = db.code().code();
            code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03")
        }
        // Not a server-reported error: the connection closed or failed.
        None => true,
    }
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/db`) and brings the schema
    /// to the newest version.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let config: postgres::Config = url.parse().map_err(failed("reading the store URL"))?;
        let manager = PostgresConnectionManager::new(config.clone(), NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .connection_timeout(CONNECT_TIMEOUT)
            // r2d2 would log every failed connection attempt at ERROR, many a
            // second while PostgreSQL is away; each call that cannot get a
            // connection reports it instead (a 503, logged with its request).
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build(manager)
            .map_err(failed("connecting to PostgreSQL"))?;
        let store = Self {
            pool: Some(pool),
            config,
            instance: uuid::Uuid::new_v4().simple().to_string(),
            notices: Arc::default(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// A pooled connection for a store call (on the blocking pool).
    pub(super) fn client(&self) -> Result<Connection, StoreError> {
        debug_assert!(
            super::handle::backend_call_allowed(),
            "a store call on a runtime worker thread"
        );
        self.connection()
    }

    fn connection(&self) -> Result<Connection, StoreError> {
        let pool = self.pool.as_ref().ok_or_else(|| StoreError::Unavailable {
            operation: "connecting to PostgreSQL",
            source: "the store is closing".into(),
        })?;
        pool.get().map_err(failed("connecting to PostgreSQL"))
    }

    /// Runs refinery's migrations under a session advisory lock.
    fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.connection()?;
        let lock = failed("locking the schema for migration");
        client
            .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
            .map_err(&lock)?;
        let migrated = embedded::migrations::runner()
            .run(&mut *client)
            .map_err(failed("migrating the store's schema"));
        client
            .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
            .map_err(&lock)?;
        migrated.map(|_| ())
    }
}

impl Drop for PostgresStore {
    /// Closes the pool's connections off any tokio runtime: a blocking
    /// `postgres::Client` runs its own runtime to close, which panics inside
    /// another (the platform is often dropped on a runtime thread).
    fn drop(&mut self) {
        let Some(pool) = self.pool.take() else {
            return;
        };
        if tokio::runtime::Handle::try_current().is_err() {
            drop(pool);
            return;
        }
        let closed = std::thread::Builder::new()
            .name("wasm-fc-pg-close".into())
            .spawn(move || drop(pool));
        match closed {
            Ok(thread) => {
                if thread.join().is_err() {
                    tracing::warn!("closing the PostgreSQL pool panicked");
                }
            }
            Err(e) => tracing::warn!("cannot close the PostgreSQL pool off the runtime: {e}"),
        }
    }
}

/// Listens for other stores' NOTIFYs until the process ends; `instance`'s own
/// are counted as delivered in `notices` rather than reported as changes.
fn listen_forever(
    config: &postgres::Config,
    instance: &str,
    notices: &ChangeNotices,
    on_change: &(dyn Fn() + Send + Sync),
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match config.connect(NoTls) {
            Ok(mut client) => {
                if let Err(e) = client.batch_execute(&format!("LISTEN {CHANGES}")) {
                    tracing::warn!("PostgreSQL LISTEN failed: {e}");
                } else {
                    backoff = Duration::from_millis(100);
                    notices.set_listening(true);
                    on_change(); // whatever changed while we were not listening
                    let mut notifications = client.notifications();
                    let mut received = notifications.blocking_iter();
                    loop {
                        match received.next() {
                            Ok(Some(n)) => match change_notices::parse(n.payload()) {
                                Some((from, number)) if from == instance => {
                                    notices.delivered(number)
                                }
                                _ => on_change(),
                            },
                            Ok(None) => break,
                            Err(e) => {
                                tracing::warn!("the PostgreSQL listener lost its connection: {e}");
                                break;
                            }
                        }
                    }
                    notices.set_listening(false);
                }
            }
            Err(e) => tracing::warn!("the PostgreSQL listener cannot connect: {e}"),
        }
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

fn parse(kind: Kind, body: &str) -> Result<Value, StoreError> {
    serde_json::from_str(body).map_err(|source| StoreError::Corrupt {
        kind: kind.as_str(),
        source,
    })
}

/// Reads over any client or transaction (`postgres::GenericClient`).
mod reads {
    use postgres::GenericClient;

    use super::*;

    pub fn get(
        c: &mut impl GenericClient,
        kind: Kind,
        scope: &str,
        name: &str,
    ) -> Result<Option<Value>, StoreError> {
        let row = c
            .query_opt(
                "SELECT body FROM resources WHERE kind=$1 AND scope=$2 AND name=$3",
                &[&kind.as_str(), &scope, &name],
            )
            .map_err(failed("reading a row"))?;
        row.map(|r| parse(kind, r.get::<_, &str>(0))).transpose()
    }

    pub fn list(
        c: &mut impl GenericClient,
        kind: Kind,
        scope: &str,
        query: &ListQuery,
    ) -> Result<Page, StoreError> {
        let limit = query.limit.max(1);
        let (cmp, order) = if query.descending {
            ("<=", "DESC")
        } else {
            (">=", "ASC")
        };
        let sql = format!(
            "SELECT name, body FROM resources WHERE kind=$1 AND scope=$2 AND starts_with(name, $3) \
             AND ($4::text IS NULL OR name COLLATE \"C\" {cmp} $4) ORDER BY name COLLATE \"C\" {order} LIMIT $5"
        );
        let rows = c
            .query(
                &sql,
                &[
                    &kind.as_str(),
                    &scope,
                    &query.prefix,
                    &query.start,
                    &((limit + 1) as i64),
                ],
            )
            .map_err(failed("listing rows"))?;
        let mut page = Page::default();
        for row in rows {
            let name: String = row.get(0);
            if page.items.len() == limit {
                page.next = Some(name);
                break;
            }
            page.items.push(parse(kind, row.get::<_, &str>(1))?);
        }
        Ok(page)
    }

    pub fn list_all(c: &mut impl GenericClient, kind: Kind) -> Result<Vec<Value>, StoreError> {
        c.query(
            "SELECT body FROM resources WHERE kind=$1 ORDER BY scope COLLATE \"C\", name COLLATE \"C\"",
            &[&kind.as_str()],
        )
        .map_err(failed("listing rows"))?
        .iter()
        .map(|r| parse(kind, r.get::<_, &str>(0)))
        .collect()
    }

    pub fn count(c: &mut impl GenericClient, kind: Kind, scope: &str) -> Result<u64, StoreError> {
        c.query_one(
            "SELECT COUNT(*) FROM resources WHERE kind=$1 AND scope=$2",
            &[&kind.as_str(), &scope],
        )
        .map(|r| r.get::<_, i64>(0) as u64)
        .map_err(failed("counting rows"))
    }
}

impl Reader for PostgresStore {
    fn get(&self, kind: Kind, scope: &str, name: &str) -> Result<Option<Value>, StoreError> {
        reads::get(&mut *self.client()?, kind, scope, name)
    }

    fn list(&self, kind: Kind, scope: &str, query: &ListQuery) -> Result<Page, StoreError> {
        reads::list(&mut *self.client()?, kind, scope, query)
    }

    fn list_all(&self, kind: Kind) -> Result<Vec<Value>, StoreError> {
        reads::list_all(&mut *self.client()?, kind)
    }

    fn count(&self, kind: Kind, scope: &str) -> Result<u64, StoreError> {
        reads::count(&mut *self.client()?, kind, scope)
    }
}

/// A write transaction (reads take `&self`, the client needs `&mut`).
struct PgTx<'a, 'c>(RefCell<&'a mut postgres::Transaction<'c>>);

impl Reader for PgTx<'_, '_> {
    fn get(&self, kind: Kind, scope: &str, name: &str) -> Result<Option<Value>, StoreError> {
        reads::get(&mut **self.0.borrow_mut(), kind, scope, name)
    }

    fn list(&self, kind: Kind, scope: &str, query: &ListQuery) -> Result<Page, StoreError> {
        reads::list(&mut **self.0.borrow_mut(), kind, scope, query)
    }

    fn list_all(&self, kind: Kind) -> Result<Vec<Value>, StoreError> {
        reads::list_all(&mut **self.0.borrow_mut(), kind)
    }

    fn count(&self, kind: Kind, scope: &str) -> Result<u64, StoreError> {
        reads::count(&mut **self.0.borrow_mut(), kind, scope)
    }
}

fn one_row(changed: u64, otherwise: StoreError) -> Result<(), StoreError> {
    if changed == 0 { Err(otherwise) } else { Ok(()) }
}

impl Tx for PgTx<'_, '_> {
    fn insert(
        &mut self,
        kind: Kind,
        scope: &str,
        name: &str,
        body: &Value,
    ) -> Result<(), StoreError> {
        let changed = self
            .0
            .get_mut()
            .execute(
                "INSERT INTO resources (kind, scope, name, body) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                &[&kind.as_str(), &scope, &name, &body.to_string()],
            )
            .map_err(failed("inserting a row"))?;
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
            .get_mut()
            .execute(
                "UPDATE resources SET body=$4 WHERE kind=$1 AND scope=$2 AND name=$3",
                &[&kind.as_str(), &scope, &name, &body.to_string()],
            )
            .map_err(failed("updating a row"))?;
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
            .get_mut()
            .execute(
                "INSERT INTO resources (kind, scope, name, body) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (kind, scope, name) DO UPDATE SET body = EXCLUDED.body",
                &[&kind.as_str(), &scope, &name, &body.to_string()],
            )
            .map_err(failed("writing a row"))?;
        Ok(())
    }

    fn delete(&mut self, kind: Kind, scope: &str, name: &str) -> Result<(), StoreError> {
        let changed = self
            .0
            .get_mut()
            .execute(
                "DELETE FROM resources WHERE kind=$1 AND scope=$2 AND name=$3",
                &[&kind.as_str(), &scope, &name],
            )
            .map_err(failed("deleting a row"))?;
        one_row(changed, StoreError::NotFound)
    }

    fn next_sequence(&mut self, name: &str) -> Result<i64, StoreError> {
        self.0
            .get_mut()
            .query_one(
                "INSERT INTO sequences (name, value) VALUES ($1, 1) \
                 ON CONFLICT (name) DO UPDATE SET value = sequences.value + 1 RETURNING value",
                &[&name],
            )
            .map(|r| r.get(0))
            .map_err(failed("taking the next sequence number"))
    }
}

/// How a fire claim is written: the first insert of (trigger, time) wins.
const CLAIM_FIRE: &str = "INSERT INTO timer_fires (trigger_key, scheduled_ms, node_id) VALUES ($1, $2, $3) \
     ON CONFLICT DO NOTHING";

/// Inserts one queue row (see [`insert_queued`]).
const INSERT_QUEUED: &str = "INSERT INTO async_queue (request_id, service, qualifier, function, payload, attempts, \
     not_before_ms, enqueued_ms, lease_owner, origin) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";

/// Inserts `inv` with the prepared [`INSERT_QUEUED`]; returns its id.
fn insert_queued(
    tx: &mut postgres::Transaction<'_>,
    insert: &postgres::Statement,
    inv: &QueuedInvocation,
    lease_owner: Option<&str>,
) -> Result<i64, postgres::Error> {
    tx.query_one(
        insert,
        &[
            &inv.request_id,
            &inv.service,
            &inv.qualifier,
            &inv.function,
            &inv.payload,
            &(inv.attempts as i32),
            &inv.not_before_ms,
            &inv.enqueued_ms,
            &lease_owner,
            &EventOrigin::to_column(&inv.origin),
        ],
    )
    .map(|row| row.get(0))
}

fn queued(r: &postgres::Row) -> QueuedInvocation {
    QueuedInvocation {
        id: r.get(0),
        request_id: r.get(1),
        service: r.get(2),
        qualifier: r.get(3),
        function: r.get(4),
        payload: r.get(5),
        attempts: r.get::<_, i32>(6) as u32,
        not_before_ms: r.get(7),
        enqueued_ms: r.get(8),
        origin: EventOrigin::from_column(r.get(9)),
    }
}

const QUEUE_COLUMNS: &str = "id, request_id, service, qualifier, function, payload, attempts, not_before_ms, enqueued_ms, origin";

impl Store for PostgresStore {
    /// Starts the node's listener: every committed write on any node calls
    /// `on_change`; after a lost connection it reconnects (backing off to 5 s)
    /// and calls `on_change` once, since changes may have been missed.
    fn listen(&self, on_change: Arc<dyn Fn() + Send + Sync>) {
        let (config, instance) = (self.config.clone(), self.instance.clone());
        let notices = self.notices.clone();
        if let Err(e) = std::thread::Builder::new()
            .name("wasm-fc-pg-listen".into())
            .spawn(move || listen_forever(&config, &instance, &notices, on_change.as_ref()))
        {
            tracing::error!("cannot start the PostgreSQL listener: {e}");
        }
    }

    fn logs(&self) -> &dyn super::logs::LogBackend {
        self
    }

    fn transaction(&self, body: TxBody<'_>) -> Result<(), StoreError> {
        let write = failed("running a write transaction");
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(&write)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
            .map_err(&write)?;
        body(&mut PgTx(RefCell::new(&mut tx)))?; // dropping `tx` rolls back
        // The payload is a uuid and a number: nothing to quote.
        let notice = self.notices.next();
        tx.batch_execute(&format!("NOTIFY {CHANGES}, '{}:{notice}'", self.instance))
            .map_err(&write)?;
        tx.commit().map_err(&write)?;
        drop(client); // back to the pool while waiting
        if !self.notices.wait_for(notice) {
            tracing::debug!("write notice {notice} not delivered back within the bound");
        }
        Ok(())
    }

    fn enqueue_many(
        &self,
        invocations: &[QueuedInvocation],
        lease_owner: Option<&str>,
    ) -> Result<Vec<i64>, StoreError> {
        let enqueue = failed("enqueueing invocations");
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(&enqueue)?;
        let insert = tx.prepare(INSERT_QUEUED).map_err(&enqueue)?;
        let mut ids = Vec::with_capacity(invocations.len());
        for inv in invocations {
            ids.push(insert_queued(&mut tx, &insert, inv, lease_owner).map_err(&enqueue)?);
        }
        tx.commit().map_err(&enqueue)?;
        Ok(ids)
    }

    fn claim(
        &self,
        owner: &str,
        now_ms: i64,
        max: usize,
        lease_until_ms: i64,
    ) -> Result<Vec<QueuedInvocation>, StoreError> {
        let sql = format!(
            "UPDATE async_queue SET not_before_ms = $3, lease_owner = $4 WHERE id IN ( \
                 SELECT id FROM async_queue WHERE not_before_ms <= $1 \
                 ORDER BY not_before_ms, id LIMIT $2 FOR UPDATE SKIP LOCKED) \
             RETURNING {QUEUE_COLUMNS}"
        );
        let mut claimed: Vec<QueuedInvocation> = self
            .client()?
            .query(&sql, &[&now_ms, &(max as i64), &lease_until_ms, &owner])
            .map_err(failed("claiming queued invocations"))?
            .iter()
            .map(queued)
            .collect();
        claimed.sort_by_key(|inv| inv.id);
        Ok(claimed)
    }

    fn renew_leases(
        &self,
        owner: &str,
        ids: &[i64],
        lease_until_ms: i64,
    ) -> Result<u64, StoreError> {
        self.client()?
            .execute(
                "UPDATE async_queue SET not_before_ms = $3 WHERE id = ANY($1) AND lease_owner = $2",
                &[&ids, &owner, &lease_until_ms],
            )
            .map_err(failed("renewing leases"))
    }

    /// On a shared database an owner is dead when its heartbeat is older than
    /// [`NODE_SILENT_MS`] (or it never sent one): a live node's leases are
    /// never taken.
    fn release_dead_leases(&self, alive: &str, now_ms: i64) -> Result<u64, StoreError> {
        self.client()?
            .execute(
                "UPDATE async_queue SET not_before_ms = $2, lease_owner = NULL \
                 WHERE lease_owner IS NOT NULL AND lease_owner <> $1 AND not_before_ms > $2 \
                 AND lease_owner NOT IN (SELECT node_id FROM nodes WHERE heartbeat_ms >= $3)",
                &[&alive, &now_ms, &(now_ms - NODE_SILENT_MS)],
            )
            .map_err(failed("releasing dead nodes' leases"))
    }

    fn reschedule(&self, id: i64, attempts: u32, not_before_ms: i64) -> Result<(), StoreError> {
        self.client()?
            .execute(
                "UPDATE async_queue SET attempts=$2, not_before_ms=$3, lease_owner=NULL WHERE id=$1",
                &[&id, &(attempts as i32), &not_before_ms],
            )
            .map_err(failed("rescheduling an invocation"))?;
        Ok(())
    }

    fn release_leases(&self, owner: &str, ids: &[i64], now_ms: i64) -> Result<u64, StoreError> {
        self.client()?
            .execute(
                "UPDATE async_queue SET not_before_ms = $3, lease_owner = NULL \
                 WHERE id = ANY($1) AND lease_owner = $2",
                &[&ids, &owner, &now_ms],
            )
            .map_err(failed("releasing leases"))
    }

    fn enqueue_fires(
        &self,
        fires: &[ClaimedFire],
        lease_owner: &str,
    ) -> Result<Vec<Option<i64>>, StoreError> {
        let enqueue = failed("enqueueing timer fires");
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(&enqueue)?;
        let claim = tx.prepare(CLAIM_FIRE).map_err(&enqueue)?;
        let insert = tx.prepare(INSERT_QUEUED).map_err(&enqueue)?;
        let mut ids = Vec::with_capacity(fires.len());
        for fire in fires {
            let won = tx
                .execute(
                    &claim,
                    &[&fire.trigger_key, &fire.scheduled_ms, &lease_owner],
                )
                .map_err(&enqueue)?
                == 1;
            if !won {
                ids.push(None);
                continue;
            }
            let inv = &fire.invocation;
            let id = insert_queued(&mut tx, &insert, inv, Some(lease_owner)).map_err(&enqueue)?;
            ids.push(Some(id));
        }
        if let Some(oldest) = fires.iter().map(|f| f.scheduled_ms).min() {
            tx.execute(
                "DELETE FROM timer_fires WHERE scheduled_ms < $1",
                &[&(oldest - FIRE_CLAIM_RETENTION_MS)],
            )
            .map_err(&enqueue)?;
        }
        tx.commit().map_err(&enqueue)?;
        Ok(ids)
    }

    fn heartbeat(&self, node_id: &str, now_ms: i64, body: &Value) -> Result<(), StoreError> {
        self.client()?
            .execute(
                "INSERT INTO nodes (node_id, heartbeat_ms, body) VALUES ($1, $2, $3) \
                 ON CONFLICT (node_id) DO UPDATE SET heartbeat_ms = EXCLUDED.heartbeat_ms, body = EXCLUDED.body",
                &[&node_id, &now_ms, &body.to_string()],
            )
            .map_err(failed("recording a heartbeat"))?;
        Ok(())
    }

    fn nodes(&self, since_ms: i64, now_ms: i64) -> Result<Vec<Value>, StoreError> {
        let list = failed("listing nodes");
        let mut client = self.client()?;
        client
            .execute(
                "DELETE FROM nodes WHERE heartbeat_ms < $1",
                &[&(now_ms - NODE_ROW_RETENTION_MS)],
            )
            .map_err(&list)?;
        client
            .query(
                "SELECT body FROM nodes WHERE heartbeat_ms >= $1 ORDER BY node_id",
                &[&since_ms],
            )
            .map_err(&list)?
            .iter()
            .map(|r| parse_node(r.get::<_, &str>(0)))
            .collect()
    }

    fn remove_node(&self, node_id: &str) -> Result<(), StoreError> {
        self.client()?
            .execute("DELETE FROM nodes WHERE node_id = $1", &[&node_id])
            .map_err(failed("removing a node"))?;
        Ok(())
    }

    fn shared(&self) -> Option<&dyn SharedStore> {
        Some(self)
    }

    fn complete(&self, id: i64) -> Result<(), StoreError> {
        self.client()?
            .execute("DELETE FROM async_queue WHERE id=$1", &[&id])
            .map_err(failed("completing an invocation"))?;
        Ok(())
    }

    fn queue_depth(&self) -> Result<u64, StoreError> {
        self.client()?
            .query_one("SELECT COUNT(*) FROM async_queue", &[])
            .map(|r| r.get::<_, i64>(0) as u64)
            .map_err(failed("counting queued invocations"))
    }
}

impl SharedStore for PostgresStore {
    fn put_code(&self, digest: &str, zip: &[u8], now_ms: i64) -> Result<(), StoreError> {
        self.client()?
            .execute(
                "INSERT INTO code_blobs (digest, zip, stored_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[&digest, &zip, &now_ms],
            )
            .map_err(failed("storing a code package"))?;
        Ok(())
    }

    fn get_code(&self, digest: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.client()?
            .query_opt("SELECT zip FROM code_blobs WHERE digest = $1", &[&digest])
            .map(|row| row.map(|r| r.get(0)))
            .map_err(failed("reading a code package"))
    }

    fn shared_value(&self, name: &str, candidate: &str) -> Result<String, StoreError> {
        let mut client = self.client()?;
        let read = failed("reading a shared value");
        client
            .execute(
                "INSERT INTO shared_values (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&name, &candidate],
            )
            .map_err(&read)?;
        client
            .query_one("SELECT value FROM shared_values WHERE name = $1", &[&name])
            .map(|r| r.get(0))
            .map_err(&read)
    }
}

#[cfg(test)]
#[path = "postgres_tests.rs"]
mod tests;
