//! [`ControlPlane`]: the control layer's shared state: the store, the data dir,
//! who the platform is, the runtimes, the URL signer and the resolve cache.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::OnceLock;

use super::data_dir_lock::DataDirLock;
use super::resolve_cache::ResolveCache;
use super::runtimes::Runtimes;
use super::store::StoreHandle;
use super::url_signing::UrlSigner;

/// Who this platform says it is (FC's account id and region).
#[derive(Debug, Clone)]
pub struct Identity {
    pub account_id: String,
    pub region: String,
    /// The base URL clients reach this platform at (`http://host:port`), for the
    /// URLs it hands out (GetFunctionCode). `None`: the request's `Host` when it
    /// carries a port, else the listen address.
    pub public_endpoint: Option<String>,
}

/// The control layer's state. The invoke layer's `Invoker` holds it (and
/// derefs to it), so everything above reaches the store through it.
pub struct ControlPlane {
    pub store: StoreHandle,
    pub data_dir: PathBuf,
    pub identity: Identity,
    /// The Python and Node.js runtimes.
    pub runtimes: Runtimes,
    /// Signs the URLs the platform hands out, with a secret kept in the data dir.
    pub url_signer: UrlSigner,
    /// The address the server listens on (set once bound; the code URL's fallback host).
    pub listen_addr: OnceLock<SocketAddr>,
    /// What resolve read, while the store is unchanged.
    pub(super) resolve_cache: ResolveCache,
    /// One platform per data dir, for as long as this one lives.
    _data_dir_lock: DataDirLock,
}

impl std::fmt::Debug for ControlPlane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlPlane")
            .field("data_dir", &self.data_dir)
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

impl ControlPlane {
    pub fn new(
        store: StoreHandle,
        data_dir: PathBuf,
        identity: Identity,
        runtimes: Runtimes,
        url_signer: UrlSigner,
        data_dir_lock: DataDirLock,
    ) -> Self {
        Self {
            store,
            data_dir,
            identity,
            runtimes,
            url_signer,
            listen_addr: OnceLock::new(),
            resolve_cache: ResolveCache::default(),
            _data_dir_lock: data_dir_lock,
        }
    }
}
