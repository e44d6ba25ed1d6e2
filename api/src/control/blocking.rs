//! CPU- or disk-heavy request work (decoding and unzipping code packages,
//! hashing Wasm) runs on tokio's blocking pool, never on a runtime worker
//! thread, where it would stall every other request on that thread.

use crate::control::error::{ApiError, ApiResult};

/// Runs `work` on the blocking pool; `context` names it if the pool is gone.
pub async fn run_blocking<T: Send + 'static>(
    context: &'static str,
    work: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::internal(context, e))?
}
