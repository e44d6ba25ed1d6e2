//! Per-invocation capture of a guest's stdout and stderr.
//!
//! One [`LogCapture`] lives as long as an instance; [`LogCapture::take`] hands
//! the bytes of one invocation to the caller and starts the next one empty.
//! Capture is bounded ([`caps::MAX_LOG_BYTES`]): when a guest writes more, the
//! oldest bytes go, because the tail is what FC returns and what explains a failure.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

use crate::config::caps;

/// A bounded, shared log buffer; clones write to the same buffer.
#[derive(Clone, Debug)]
pub struct LogCapture {
    inner: Arc<Mutex<Captured>>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Captured {
    bytes: VecDeque<u8>,
    dropped: u64,
}

impl Default for LogCapture {
    fn default() -> Self {
        Self::with_capacity(caps::MAX_LOG_BYTES)
    }
}

impl LogCapture {
    /// A capture that keeps at most `capacity` bytes (the newest).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Captured::default())),
            capacity,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Captured> {
        // A poisoned lock only means another writer panicked mid-append; the
        // bytes are still a valid log, so keep going.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Appends guest output, dropping the oldest bytes beyond capacity.
    pub fn append(&self, data: &[u8]) {
        let mut captured = self.lock();
        // A single write larger than the capacity keeps only its own tail.
        let keep = data.len().min(self.capacity);
        let skipped = data.len() - keep;
        let data = &data[skipped..];
        let overflow = (captured.bytes.len() + data.len()).saturating_sub(self.capacity);
        if overflow > 0 {
            captured.bytes.drain(..overflow);
        }
        captured.dropped += (overflow + skipped) as u64;
        captured.bytes.extend(data);
    }

    /// Takes this invocation's log and resets the buffer for the next one.
    /// When bytes were dropped, the log starts with a line saying how many.
    pub fn take(&self) -> Bytes {
        let mut captured = self.lock();
        let mut out = Vec::with_capacity(captured.bytes.len() + 64);
        if captured.dropped > 0 {
            out.extend_from_slice(
                format!(
                    "[wasm-fc: {} earlier log bytes dropped]\n",
                    captured.dropped
                )
                .as_bytes(),
            );
        }
        out.extend(captured.bytes.drain(..));
        captured.dropped = 0;
        Bytes::from(out)
    }
}

impl IsTerminal for LogCapture {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for LogCapture {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl OutputStream for LogCapture {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.append(&bytes);
        Ok(())
    }
    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }
    fn check_write(&mut self) -> StreamResult<usize> {
        // Writes never block: the buffer drops old bytes instead.
        Ok(64 * 1024)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for LogCapture {
    async fn ready(&mut self) {}
}

impl AsyncWrite for LogCapture {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.append(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The last `max` bytes of `log`, starting at a line boundary when one is near.
pub fn tail(log: &[u8], max: usize) -> &[u8] {
    if log.len() <= max {
        return log;
    }
    let start = log.len() - max;
    match log[start..].iter().position(|&b| b == b'\n') {
        Some(newline) if newline < max / 4 => &log[start + newline + 1..],
        _ => &log[start..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_bytes_and_says_how_many_were_dropped() {
        let capture = LogCapture::with_capacity(8);
        capture.append(b"0123456789");
        capture.append(b"ab");
        let log = capture.take();
        assert!(log.ends_with(b"456789ab"), "{log:?}");
        assert!(
            log.starts_with(b"[wasm-fc: 4 earlier log bytes dropped]"),
            "{log:?}"
        );
        assert!(capture.take().is_empty(), "take resets the buffer");
    }

    #[test]
    fn tail_prefers_a_line_boundary() {
        assert_eq!(tail(b"abc", 10), b"abc");
        assert_eq!(tail(b"line one\nline two\n", 10), b"line two\n");
    }
}
