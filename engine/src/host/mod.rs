//! Host-side pieces every ABI shares: store state, sandbox, FC context, limits, log capture.

pub mod context;
pub mod files;
pub mod limits;
pub mod log;
pub mod sandbox;
pub mod state;
