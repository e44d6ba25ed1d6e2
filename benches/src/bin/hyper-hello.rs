//! The raw floor of the HTTP comparison (`benches/http-compare`): the least a
//! Rust server can do per request. hyper 1.x, HTTP/1.1 with keep-alive,
//! `TCP_NODELAY`, tokio's multi-thread runtime (one worker per CPU it may use,
//! so one under `taskset -c 0`), answering every request `200 hello`: the same
//! bytes the hello component sends.
//!
//! Usage: `hyper-hello [ADDR]` (default `127.0.0.1:8090`).

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

async fn hello(_request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut response = Response::new(Full::new(Bytes::from_static(b"hello")));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain"),
    );
    Ok(response)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr: SocketAddr = match std::env::args().nth(1) {
        Some(arg) => arg.parse().map_err(|e| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{arg}: {e}"))
        })?,
        None => SocketAddr::from(([127, 0, 0, 1], 8090)),
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("hyper-hello listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service_fn(hello))
                .await;
        });
    }
}
