//! Serves [`Objects`] over HTTP/1.1 with `s3s`: path-style addressing, AWS
//! SigV4 (headers, presigned URLs and streaming chunks) against one access key
//! pair, S3's XML error bodies.

use std::future::Future;
use std::sync::Arc;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use s3s::auth::SimpleAuth;
pub use s3s::service::S3Service;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;

use crate::objects::{Objects, RemoteAddr};

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
    tokio::pin!(shutdown);
    loop {
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
        tokio::spawn(async move {
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
            if let Err(e) = Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), per_request)
                .await
            {
                tracing::debug!(error = %e, %peer, "object store connection ended with an error");
            }
        });
    }
}
