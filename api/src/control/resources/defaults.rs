//! FC's defaults and limits for what a user can set, in one place. The model
//! fills new resources from these, the validation checks against them, and
//! the typed resources default to them when a stored row lacks the key.

use std::ops::RangeInclusive;

/// A function's `timeout` (seconds): default 3, 1..=86,400.
pub const TIMEOUT_SECS: u64 = 3;
pub const TIMEOUT_RANGE: RangeInclusive<i64> = 1..=86_400;

/// A function's `initializationTimeout` (seconds): default 3, 1..=300.
pub const INITIALIZATION_TIMEOUT_SECS: u64 = 3;
pub const INITIALIZATION_TIMEOUT_RANGE: RangeInclusive<i64> = 1..=300;

/// A function's `memorySize` (MB): default 128, a multiple of 64 in 64..=32,768.
pub const MEMORY_SIZE_MB: u32 = 128;
pub const MEMORY_SIZE_RANGE: RangeInclusive<i64> = 64..=32_768;
pub const MEMORY_SIZE_STEP: i64 = 64;

/// A function's `instanceConcurrency`: default 1, 1..=200.
pub const INSTANCE_CONCURRENCY: u32 = 1;
pub const INSTANCE_CONCURRENCY_RANGE: RangeInclusive<i64> = 1..=200;

/// The most bytes of `environmentVariables` (names plus values): 4 KB.
pub const ENVIRONMENT_MAX_BYTES: usize = 4096;

/// A new function's `runtime`, `handler` and `instanceType` before the request's own.
pub const RUNTIME: &str = "custom";
pub const HANDLER: &str = "index.handler";
pub const INSTANCE_TYPE: &str = "e1";

/// A service's `internetAccess`: on.
pub const INTERNET_ACCESS: bool = true;

/// Async retries after a function error (`maxAsyncRetryAttempts`): default 3, 0..=8.
pub const MAX_ASYNC_RETRIES: u32 = 3;
pub const MAX_ASYNC_RETRIES_RANGE: RangeInclusive<i64> = 0..=8;

/// How old an async event may get (`maxAsyncEventAgeInSeconds`): default one
/// day, 1..=2,592,000 (30 days).
pub const MAX_ASYNC_EVENT_AGE_SECS: i64 = 86_400;
pub const MAX_ASYNC_EVENT_AGE_RANGE: RangeInclusive<i64> = 1..=2_592_000;

pub(crate) fn timeout_secs() -> u64 {
    TIMEOUT_SECS
}

pub(crate) fn initialization_timeout_secs() -> u64 {
    INITIALIZATION_TIMEOUT_SECS
}

pub(crate) fn memory_size_mb() -> u32 {
    MEMORY_SIZE_MB
}

pub(crate) fn instance_concurrency() -> u32 {
    INSTANCE_CONCURRENCY
}

pub(crate) fn internet_access() -> bool {
    INTERNET_ACCESS
}

pub(crate) fn max_async_retries() -> u32 {
    MAX_ASYNC_RETRIES
}

pub(crate) fn max_async_event_age_secs() -> i64 {
    MAX_ASYNC_EVENT_AGE_SECS
}
