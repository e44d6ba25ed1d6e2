//! The accept loop, with the limits a listener facing untrusted clients needs:
//! a header-read timeout (slowloris, and HTTP/1 keep-alive connections left
//! idle), HTTP/2 keep-alive pings, a cap on open connections, and a raised
//! descriptor limit. `axum::serve` takes no such settings, so connections are
//! served here with hyper-util directly; on shutdown each connection finishes
//! its requests in flight, then closes.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tower::ServiceExt as _;

/// How connections are limited. Defaults are what a platform on one machine
/// needs; `wasm-fc run` exposes each as a flag.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// How long a client may take to send a request's headers, and how long an
    /// HTTP/1 keep-alive connection may sit idle before the next request.
    /// 30 s: hyper's own default, and under nginx's 60 s client_header_timeout.
    pub header_read_timeout: Duration,
    /// How often an idle HTTP/2 connection is pinged; one that does not answer
    /// within the same time is closed. 30 s.
    pub http2_keep_alive: Duration,
    /// Open connections at most; past it, new ones wait in the kernel's backlog
    /// until one closes. 4,096, and at most half the descriptor limit (the
    /// rest is for the store, code, artifacts and the guests' files).
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(30),
            http2_keep_alive: Duration::from_secs(30),
            max_connections: 4096,
        }
    }
}

/// Raises the soft descriptor limit to the hard one (where allowed) and returns
/// the soft limit now in force; `None` where it cannot be read.
pub fn raise_descriptor_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes into the struct we own; no other memory is touched.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            // SAFETY: setrlimit reads the struct we own.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
                limit.rlim_cur = raised.rlim_cur;
            } else {
                tracing::warn!(
                    soft = limit.rlim_cur,
                    hard = limit.rlim_max,
                    "cannot raise the descriptor limit: {}",
                    std::io::Error::last_os_error()
                );
            }
        }
        Some(limit.rlim_cur)
    }
    #[cfg(not(unix))]
    None
}

/// Serves `app` on `listener` until `shutdown` completes, then lets every
/// connection finish its requests in flight and waits for them to close.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let max_connections = match raise_descriptor_limit() {
        Some(descriptors) => limits
            .max_connections
            .min(usize::try_from(descriptors / 2).unwrap_or(usize::MAX))
            .max(1),
        None => limits.max_connections.max(1),
    };
    tracing::debug!(max_connections, "accepting connections");
    let slots = Arc::new(tokio::sync::Semaphore::new(max_connections));
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.http2_keep_alive)
        .keep_alive_timeout(limits.http2_keep_alive)
        // WebSocket over HTTP/2 (RFC 8441), as axum::serve enables it.
        .enable_connect_protocol();
    // Dropped to tell connections to finish; closed once every connection is done.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(());
    let (done_tx, done_rx) = tokio::sync::watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break, // never closed
            },
            () = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // EMFILE and friends: wait for a descriptor rather than spin.
                    tracing::warn!("accept failed: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // A response must not wait for the client's delayed ACK (without it, the
        // HTTP trigger's p99 at c=1 was 40 ms).
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {err}");
        }
        let service = hyper::service::service_fn({
            let app = app.clone();
            move |mut request: hyper::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(remote));
                app.clone().oneshot(request.map(Body::new))
            }
        });
        let builder = builder.clone();
        let mut stop = stop_rx.clone();
        let done = done_rx.clone();
        let first_byte_timeout = limits.header_read_timeout;
        tokio::spawn(async move {
            // hyper-util reads the first bytes (HTTP/1 or HTTP/2?) with no timeout
            // of its own: a client that connects and sends nothing is closed here.
            let mut first = [0u8; 1];
            match tokio::time::timeout(first_byte_timeout, stream.peek(&mut first)).await {
                Ok(Ok(n)) if n > 0 => {}
                Ok(Ok(_)) | Ok(Err(_)) => return, // closed by the client
                Err(_) => {
                    tracing::debug!(%remote, "closed a connection that sent nothing");
                    return;
                }
            }
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            let mut connection = std::pin::pin!(connection);
            let mut stopping = false;
            loop {
                tokio::select! {
                    result = connection.as_mut() => {
                        if let Err(err) = result {
                            tracing::debug!(%remote, "connection ended: {err}");
                        }
                        break;
                    }
                    _ = stop.changed(), if !stopping => {
                        stopping = true;
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(slot);
            drop(done);
        });
    }
    drop(listener);
    drop(stop_tx);
    drop(done_rx);
    done_tx.closed().await;
}
