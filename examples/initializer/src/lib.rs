//! Initializer: state set once per instance, visible in every later call.
//!
//! Each call returns `init=<times initializer ran> calls=<calls on this instance> instance=<id>`.

use std::sync::atomic::{AtomicU32, Ordering};
use wasm_fc_guest::{Context, Error, log};

static INIT_RUNS: AtomicU32 = AtomicU32::new(0);
static CALLS: AtomicU32 = AtomicU32::new(0);

fn init(ctx: &Context) -> Result<(), Error> {
    INIT_RUNS.fetch_add(1, Ordering::SeqCst);
    log::info!(
        "initializer {} ran on {}",
        ctx.function.initializer,
        ctx.instance_id
    );
    Ok(())
}

fn handler(_event: Vec<u8>, ctx: &Context) -> Result<String, Error> {
    let calls = CALLS.fetch_add(1, Ordering::SeqCst) + 1;
    Ok(format!(
        "init={} calls={calls} instance={}",
        INIT_RUNS.load(Ordering::SeqCst),
        ctx.instance_id
    ))
}

wasm_fc_guest::export_event_handler!(handler, initializer = init);
