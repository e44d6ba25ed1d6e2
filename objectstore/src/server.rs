//! Serves [`Objects`] over HTTP/1.1 with `s3s`: path-style addressing, AWS
//! SigV4 (headers, presigned URLs and streaming chunks) against one access key
//! pair, S3's XML error bodies. Hostile clients are bounded: at most
//! [`MAX_CONNECTIONS`] open at once (more wait in the kernel's backlog), and a
//! client that sends no request head within [`HEADER_READ_TIMEOUT`] is closed.

use std::time::Duration;

use std::future::Future;
use std::sync::Arc;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use s3s::auth::SimpleAuth;
pub use s3s::service::S3Service;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;

use crate::objects::{Objects, RemoteAddr};

/// Open connections at most: 1,024.
pub const MAX_CONNECTIONS: usize = 1024;
/// How long a client may take to send a request's head (and a keep-alive
/// connection may sit idle): 30 s, as the API listener.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The access key pair requests must be signed with.
#[derive(Clone)]
pub struct AccessKey {
    pub id: String,
    pub secret: String,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The S3 service over `objects`, checking signatures against `key`.
pub fn service(objects: Objects, key: &AccessKey) -> S3Service {
    let mut builder = S3ServiceBuilder::new(objects);
    builder.set_auth(SimpleAuth::from_single(key.id.clone(), key.secret.clone()));
    builder.build()
}

/// Accepts connections on `listener` until `shutdown` resolves; each is served
/// on its own task. Accept errors (descriptor exhaustion) are logged and
/// retried after a pause, never fatal.
pub async fn serve(listener: TcpListener, service: S3Service, shutdown: impl Future<Output = ()>) {
    let service = Arc::new(service);
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            () = &mut shutdown => return,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => return, // never closed
            },
        };
        let accepted = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %e, "the object store cannot accept a connection");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let service = service.clone();
        let builder = builder.clone();
        tokio::spawn(async move {
            let _slot = slot;
            // The auto builder's protocol sniffing has no timeout of its own: a
            // client that connects and sends nothing is closed here.
            let mut first = [0u8; 1];
            match tokio::time::timeout(HEADER_READ_TIMEOUT, stream.peek(&mut first)).await {
                Ok(Ok(n)) if n > 0 => {}
                _ => return,
            }
            let per_request = hyper::service::service_fn(
                move |mut request: http::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(RemoteAddr(peer));
                    let service = service.clone();
                    let (method, path) =
                        (request.method().clone(), request.uri().path().to_string());
                    async move {
                        let response =
                            hyper::service::Service::call(service.as_ref(), request).await;
                        if let Ok(response) = &response
                            && response.status().is_server_error()
                        {
                            tracing::error!(%method, path, status = response.status().as_u16(), "the object store failed a request");
                        }
                        response
                    }
                },
            );
            if let Err(e) = builder
                .serve_connection(TokioIo::new(stream), per_request)
                .await
            {
                tracing::debug!(error = %e, %peer, "object store connection ended with an error");
            }
        });
    }
}
