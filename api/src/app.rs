//! The composition root: `wasm-fc run`'s start-up. It opens the data dir (under
//! its lock), the store and the engine, builds the layers bottom up
//! (`ControlPlane` → `Invoker` → `Platform`), binds the HTTP server, and runs the
//! background work (timers, async workers) beside it until shutdown.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use wasm_fc_engine::{Engine, EngineConfig};

use crate::control::credentials::Credentials;
use crate::control::data_dir_lock::DataDirLock;
use crate::control::plane::{ControlPlane, Identity};
use crate::control::runtimes::Runtimes;
use crate::control::store::postgres::PostgresStore;
use crate::control::store::sqlite::SqliteStore;
use crate::control::store::{Store, StoreError, StoreHandle};
use crate::control::url_signing::UrlSigner;
use crate::http::connections::ConnectionLimits;
use crate::http::server::HttpServer;
use crate::invoke::invoker::Invoker;
use crate::triggers::platform::Platform;

/// Everything `wasm-fc run` is configured with.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub identity: Identity,
    /// `None`: load or generate the pair saved in the data dir.
    pub credentials: Option<Credentials>,
    /// Where the Python and Node.js runtimes are built and precompiled (shared
    /// by every data dir); `None` turns them off.
    pub runtimes_dir: Option<PathBuf>,
    /// Invocations one Wasm instance serves before it is retired; 1 gives
    /// every request a fresh instance (strict isolation, as `wasmtime serve`
    /// does for wasip2 by default). Default [`DEFAULT_MAX_INSTANCE_REUSE`].
    pub max_instance_reuse: u64,
    /// `postgres://…`: a PostgreSQL database shared by several nodes. `None`:
    /// the embedded SQLite file `wasm-fc.db` in the data dir.
    pub store: Option<String>,
    /// `host:port` where other nodes reach this one. `None`: the bound address,
    /// with 127.0.0.1 for an unspecified IP.
    pub advertise_address: Option<String>,
    /// Where the embedded S3-compatible object store (the local OSS) listens;
    /// `None` turns it off. Its buckets live in the data dir's `oss/`.
    pub oss_listen: Option<SocketAddr>,
    /// The largest object it accepts, in bytes (default
    /// [`wasm_fc_objectstore::objects::DEFAULT_MAX_OBJECT_SIZE`]).
    pub oss_max_object_size: u64,
    /// The message brokers broker triggers name (`--broker NAME=URL`).
    pub brokers: crate::triggers::brokers::Brokers,
    /// The databases TableStore triggers read (`--table-instance NAME=URL`).
    pub table_instances: crate::triggers::tablestore::instances::TableInstances,
}

impl ServerConfig {
    /// A configuration with the defaults: no manifest-given keys, no
    /// runtimes, the embedded store, the object store off.
    pub fn new(listen: SocketAddr, data_dir: PathBuf, identity: Identity) -> Self {
        Self {
            listen,
            data_dir,
            identity,
            credentials: None,
            runtimes_dir: None,
            max_instance_reuse: DEFAULT_MAX_INSTANCE_REUSE,
            store: None,
            advertise_address: None,
            oss_listen: None,
            oss_max_object_size: DEFAULT_OSS_MAX_OBJECT_SIZE,
            brokers: Default::default(),
            table_instances: Default::default(),
        }
    }
}

/// The embedded object store's default object size limit: 5 GiB.
pub const DEFAULT_OSS_MAX_OBJECT_SIZE: u64 = wasm_fc_objectstore::objects::DEFAULT_MAX_OBJECT_SIZE;

/// How many invocations a warm instance serves by default: 10,000, which
/// bounds a slow leak in a guest at no measurable cost.
pub const DEFAULT_MAX_INSTANCE_REUSE: u64 = 10_000;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("data dir {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("store: {0}")]
    Store(#[from] crate::control::store::StoreError),
    #[error(
        "--store {0:?} is not a store wasm-fc knows: give postgres://user@host:port/db, or nothing for the embedded SQLite file"
    )]
    StoreUrl(String),
    #[error(transparent)]
    Locked(#[from] crate::control::data_dir_lock::LockError),
    /// A secret the nodes share (credentials, URL-signing key) is not readable.
    #[error("the shared store holds an unreadable secret: {reason}")]
    SharedSecret { reason: String },
    #[error("engine: {0}")]
    Engine(#[from] wasm_fc_engine::DeployError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    ObjectStore(#[from] wasm_fc_objectstore::ObjectStoreError),
}

/// The embedded object store, bound and ready to serve.
struct ObjectStoreListener {
    listener: tokio::net::TcpListener,
    service: wasm_fc_objectstore::server::S3Service,
}

/// A bound server, ready to serve.
pub struct Bound {
    pub addr: SocketAddr,
    pub credentials: Credentials,
    pub platform: Arc<Platform>,
    /// When set, `/readyz` stays 503 after start until [`Platform::mark_ready`]
    /// (`wasm-fc run -f` deploys its manifest first).
    pub defer_ready: bool,
    /// Timeouts and the connection cap (defaults: [`ConnectionLimits::default`]).
    pub connection_limits: ConnectionLimits,
    /// Where the embedded object store listens, when it is on.
    pub oss_addr: Option<SocketAddr>,
    server: HttpServer,
    object_store: Option<ObjectStoreListener>,
}

impl std::fmt::Debug for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bound")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// The store the configuration names (see [`ServerConfig::store`]), opened and
/// migrated on the blocking pool, like every other store call.
async fn open_store(
    url: Option<String>,
    data_dir: &std::path::Path,
) -> Result<Arc<dyn Store>, StartError> {
    let Some(url) = url else {
        let path = data_dir.join("wasm-fc.db");
        let opened = tokio::task::spawn_blocking(move || SqliteStore::open(&path))
            .await
            .map_err(StoreError::WorkerGone)??;
        return Ok(Arc::new(opened));
    };
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(StartError::StoreUrl(url));
    }
    let opened = tokio::task::spawn_blocking(move || PostgresStore::open(&url))
        .await
        .map_err(StoreError::WorkerGone)??;
    Ok(Arc::new(opened))
}

/// The access key pair and URL-signing key of nodes that share a store: the
/// first node to start makes them and every node uses the same, so a client
/// (or a signed URL) works against any node. Credentials given in the
/// environment win over the stored pair, as on one node; a stored pair is
/// also copied to the data dir's `credentials.json` for the local CLI.
async fn shared_secrets(
    store: &StoreHandle,
    given: Option<Credentials>,
) -> Result<(Credentials, UrlSigner), StartError> {
    let corrupt = |reason| StartError::SharedSecret { reason };
    let credentials = match given {
        Some(c) => c,
        None => {
            let candidate = serde_json::to_string(&Credentials::generate())
                .map_err(|e| corrupt(e.to_string()))?;
            let stored = store
                .shared_value("credentials", candidate)
                .await?
                .unwrap_or_default();
            serde_json::from_str(&stored).map_err(|e| corrupt(e.to_string()))?
        }
    };
    let candidate = UrlSigner::generate()
        .map_err(|e| corrupt(e.to_string()))?
        .to_hex();
    let stored = store
        .shared_value("url-signing-key", candidate)
        .await?
        .unwrap_or_default();
    let url_signer = UrlSigner::from_hex(&stored).map_err(corrupt)?;
    Ok((credentials, url_signer))
}

/// Opens the data dir, store and engine, builds the platform and binds the listener.
pub async fn bind(config: ServerConfig) -> Result<Bound, StartError> {
    let data_dir = &config.data_dir;
    let dir_error = |source| StartError::DataDir {
        path: data_dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(data_dir).map_err(dir_error)?;
    let lock = DataDirLock::acquire(data_dir)?;
    // Before the first request: what a crash left half-written (code staging
    // dirs, zip temp files, layer merges) is removed.
    let swept = crate::control::packages::sweep_staging(data_dir);
    if swept > 0 {
        tracing::info!("removed {swept} leftover staging dirs and temp files from the data dir");
    }
    let store = StoreHandle::new(open_store(config.store.clone(), data_dir).await?);
    let (credentials, url_signer) = if store.is_shared() {
        let (credentials, signer) = shared_secrets(&store, config.credentials.clone()).await?;
        if config.credentials.is_none() {
            credentials.save(data_dir).map_err(dir_error)?;
        }
        (credentials, signer)
    } else {
        (
            match config.credentials.clone() {
                Some(c) => c,
                None => Credentials::load_or_generate(data_dir).map_err(dir_error)?,
            },
            UrlSigner::load_or_generate(data_dir).map_err(dir_error)?,
        )
    };
    let runtimes = Runtimes::open(config.runtimes_dir.clone());
    let engine = Engine::new(EngineConfig {
        artifact_dir: data_dir.join("artifacts"),
        shared_artifact_dirs: runtimes.artifact_dir().into_iter().collect(),
        ..EngineConfig::default()
    })?;
    let control = Arc::new(ControlPlane::new(
        store,
        data_dir.clone(),
        config.identity.clone(),
        runtimes,
        url_signer,
        lock,
    ));
    let invoker = Arc::new(Invoker::new(control, engine, config.max_instance_reuse));
    let platform = Arc::new(Platform::new(invoker));
    // Under the data dir's lock every other lease holder is a dead process: what
    // it held runs again now rather than when its lease runs out.
    // (On a shared store the heartbeat does it, once this node has seen the
    // others beat: `invoke::nodes::heartbeat`.)
    let released = if platform.store.is_shared() {
        0
    } else {
        platform
            .store
            .release_dead_leases(platform.node_id.clone(), crate::invoke::queue::now_ms())
            .await?
    };
    if released > 0 {
        tracing::info!("{released} async invocations held by a previous run are due again");
    }
    let listen_error = |source| StartError::Listen {
        addr: config.listen,
        source,
    };
    let server = HttpServer::bind(
        config.listen,
        platform.clone(),
        Arc::new(credentials.clone()),
    )
    .await
    .map_err(listen_error)?;
    let addr = server.addr().map_err(listen_error)?;
    let _ = platform.listen_addr.set(addr);
    let advertised = config.advertise_address.clone().unwrap_or_else(|| {
        let mut reachable = addr;
        if reachable.ip().is_unspecified() {
            reachable.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        reachable.to_string()
    });
    let _ = platform.advertise_address.set(advertised);
    let _ = platform
        .notification_token
        .set(credentials.notification_token());
    let _ = platform.brokers_config.set(config.brokers.clone());
    let _ = platform
        .table_instances_config
        .set(config.table_instances.clone());
    let object_store = match config.oss_listen {
        None => None,
        Some(oss_addr) => {
            Some(bind_object_store(&config, oss_addr, &platform, &credentials).await?)
        }
    };
    Ok(Bound {
        addr,
        credentials,
        platform,
        defer_ready: false,
        connection_limits: ConnectionLimits::default(),
        oss_addr: object_store
            .as_ref()
            .and_then(|o| o.listener.local_addr().ok()),
        server,
        object_store,
    })
}

/// Opens the embedded object store over the data dir's `oss/` and binds its
/// listener; its events go to the platform's OSS triggers.
async fn bind_object_store(
    config: &ServerConfig,
    addr: SocketAddr,
    platform: &Arc<Platform>,
    credentials: &Credentials,
) -> Result<ObjectStoreListener, StartError> {
    use wasm_fc_objectstore::{Objects, ObjectsConfig, server};
    let objects = Objects::open(
        &ObjectsConfig {
            root: platform.object_store_root(),
            max_object_size: config.oss_max_object_size,
        },
        Arc::new(crate::triggers::oss::PlatformSink(Arc::downgrade(platform))),
    )?;
    let service = server::service(
        objects,
        &server::AccessKey {
            id: credentials.access_key_id.clone(),
            secret: credentials.access_key_secret.clone(),
        },
    );
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Listen { addr, source })?;
    Ok(ObjectStoreListener { listener, service })
}

impl Bound {
    /// Serves until `shutdown` completes, then drains HTTP requests and async work.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let timers = crate::triggers::timer::spawn_scheduler(&self.platform, stop_rx.clone());
        let beat = crate::invoke::nodes::first_heartbeat(&self.platform.invoker).await;
        let heartbeat = tokio::spawn(crate::invoke::nodes::heartbeat(
            self.platform.invoker.clone(),
            beat,
            stop_rx.clone(),
        ));
        let object_store = self.object_store.map(|o| {
            let mut stop = stop_rx.clone();
            tokio::spawn(wasm_fc_objectstore::server::serve(
                o.listener,
                o.service,
                async move {
                    let _ = stop.wait_for(|stopped| *stopped).await;
                },
            ))
        });
        let streams = crate::triggers::eventbridge::streams::spawn(&self.platform, stop_rx.clone());
        let (logstores_stop, logstores_stopped) = tokio::sync::watch::channel(false);
        let logstore_writer = self
            .platform
            .invoker
            .logstore_writer
            .spawn(self.platform.store.clone(), logstores_stopped);
        let log_triggers = crate::triggers::log::runner::spawn(&self.platform, stop_rx.clone());
        let retention = crate::control::logstores::retention::spawn(
            self.platform.store.clone(),
            stop_rx.clone(),
        );
        let table_triggers = crate::triggers::tablestore::spawn(&self.platform, stop_rx.clone());
        let workers = crate::invoke::queue::spawn_workers(&self.platform.invoker, stop_rx);
        // Compile what is deployed now, off the request path: the first invoke
        // after a start (or on a node that joined later) loads, never compiles.
        let warm = self.platform.invoker.clone();
        tokio::spawn(async move { warm.precompile_all().await });
        if !self.defer_ready {
            self.platform.mark_ready();
        }
        self.server.serve(self.connection_limits, shutdown).await;
        let _ = stop_tx.send(true);
        if let Some(timers) = timers {
            let _ = timers.await;
        }
        // Broker streams finish their batch (and acknowledge it) before the
        // queue drains: an asyncInvocationType batch is queued by then.
        let _ = streams.await;
        if let Some(workers) = workers {
            let _ = workers.await;
        }
        let _ = log_triggers.await;
        let _ = retention.await;
        let _ = table_triggers.await;
        // Invocation logs bound for logstores are appended before the store
        // closes: the writer drains its queue once everything that invokes
        // has stopped.
        let _ = logstores_stop.send(true);
        if let Some(writer) = logstore_writer {
            let _ = writer.await;
        }
        let _ = heartbeat.await;
        if let Some(object_store) = object_store {
            let _ = object_store.await;
        }
        // The logs of what finished while draining reach their files before
        // the process exits (the writer batches them for 20 ms).
        let logs = self.platform.invoker.clone();
        let flushed =
            tokio::task::spawn_blocking(move || logs.logs.flush(std::time::Duration::from_secs(5)))
                .await
                .unwrap_or(false);
        if !flushed {
            tracing::warn!("stopping: some function log records were not written in time");
        }
        Ok(())
    }
}
