//! Running guest code under FC's limits, and naming what went wrong.
//!
//! Every call into a guest is armed with a deadline (checked on each epoch tick,
//! and yielding to the async runtime on each tick so a CPU-bound guest cannot
//! starve the host), and wrapped in an async timeout for guests blocked in host
//! calls. A failure is classified into FC's error types.

use std::time::{Duration, Instant};

use wasmtime::{Store, Trap, UpdateDeadline};

use crate::error::{FunctionError, StackFrame};
use crate::host::limits::MemoryLimiter;
use crate::host::state::{CommandState, ComponentState};

/// Store data that carries a deadline and a memory limiter.
pub(crate) trait Limited: Send + 'static {
    fn deadline_mut(&mut self) -> &mut Instant;
    fn deadline(&self) -> Instant;
    fn limiter_mut(&mut self) -> &mut MemoryLimiter;
}

impl Limited for ComponentState {
    fn deadline_mut(&mut self) -> &mut Instant {
        &mut self.deadline
    }
    fn deadline(&self) -> Instant {
        self.deadline
    }
    fn limiter_mut(&mut self) -> &mut MemoryLimiter {
        &mut self.limiter
    }
}

impl Limited for CommandState {
    fn deadline_mut(&mut self) -> &mut Instant {
        &mut self.deadline
    }
    fn deadline(&self) -> Instant {
        self.deadline
    }
    fn limiter_mut(&mut self) -> &mut MemoryLimiter {
        &mut self.limiter
    }
}

/// A guarded call's result, with two ways to fail that mean different things
/// for the instance: the outer `Err` is a trap, timeout or out-of-memory (the
/// instance is retired); the inner `Err` is the guest reporting its own error
/// (the instance stays warm).
pub(crate) type Reported<T> = Result<Result<T, FunctionError>, FunctionError>;

/// Installs the memory limiter and the epoch callback on a new store.
pub(crate) fn install<T: Limited>(store: &mut Store<T>) {
    store.limiter(|state| state.limiter_mut());
    store.epoch_deadline_callback(|ctx| {
        if Instant::now() >= ctx.data().deadline() {
            Ok(UpdateDeadline::Interrupt)
        } else {
            Ok(UpdateDeadline::Yield(1))
        }
    });
    arm(store, Duration::from_secs(1));
}

/// Sets the deadline for the next call: `budget` from now.
pub(crate) fn arm<T: Limited>(store: &mut Store<T>, budget: Duration) {
    *store.data_mut().deadline_mut() = Instant::now() + budget;
    store.data_mut().limiter_mut().hit_limit = false;
    store.set_epoch_deadline(1);
}

/// The async backstop: a little longer than the budget, so the epoch path
/// normally fires first and the guest gets a clean trap.
pub(crate) fn backstop(budget: Duration) -> Duration {
    budget + Duration::from_millis(100)
}

/// Turns the result of a guarded call into the guest's value or FC's error,
/// reading the memory limiter to tell an out-of-memory trap from other traps.
pub(crate) fn finish<T, S: Limited>(
    store: &mut Store<S>,
    outcome: Result<wasmtime::Result<T>, tokio::time::error::Elapsed>,
    what: &str,
    budget: Duration,
    memory_mb: u32,
) -> Result<T, FunctionError> {
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => {
            let hit_limit = std::mem::take(&mut store.data_mut().limiter_mut().hit_limit);
            Err(classify(&err, hit_limit, what, budget, memory_mb))
        }
        Err(_elapsed) => Err(timed_out(what, budget)),
    }
}

/// Frames kept in `stackTrace`; a runaway recursion would otherwise produce thousands.
const MAX_STACK_FRAMES: usize = 32;

/// What stopped a guest, in FC's words.
pub(crate) fn classify(
    err: &wasmtime::Error,
    hit_memory_limit: bool,
    what: &str,
    budget: Duration,
    memory_mb: u32,
) -> FunctionError {
    match err.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => timed_out(what, budget),
        Some(Trap::StackOverflow) => {
            FunctionError::unhandled("StackOverflowError", format!("{what} overflowed its stack"))
        }
        _ if hit_memory_limit => out_of_memory(what, memory_mb),
        _ => {
            let mut error = FunctionError::unhandled(
                "UnhandledInvocationError",
                format!(
                    "Process exited unexpectedly before completing request: {}",
                    root_message(err)
                ),
            );
            if let Some(trace) = err.downcast_ref::<wasmtime::WasmBacktrace>() {
                error.stack_trace = trace
                    .frames()
                    .iter()
                    .take(MAX_STACK_FRAMES)
                    .map(|f| {
                        let name = f
                            .func_name()
                            .map(|n| format!("{:#}", rustc_demangle::demangle(n)));
                        StackFrame::Text(format!(
                            "{} ({})",
                            name.as_deref().unwrap_or("<unknown>"),
                            f.module().name().unwrap_or("wasm")
                        ))
                    })
                    .collect();
            }
            error
        }
    }
}

/// FC's out-of-memory error.
pub(crate) fn out_of_memory(what: &str, memory_mb: u32) -> FunctionError {
    FunctionError::unhandled(
        "OutOfMemoryError",
        format!("{what} ran out of memory: memorySize is {memory_mb} MB"),
    )
}

/// FC's timeout error.
pub(crate) fn timed_out(what: &str, budget: Duration) -> FunctionError {
    FunctionError::unhandled(
        "TimeoutError",
        format!("{what} timed out after {:.3} seconds", budget.as_secs_f64()),
    )
}

fn root_message(err: &wasmtime::Error) -> String {
    match err.downcast_ref::<Trap>() {
        Some(trap) => trap.to_string(),
        None => format!("{err:#}"),
    }
}
