//! Executor for WASI p1 commands (`_start`): a fresh instance per call, the
//! event on stdin, the result on stdout, the log on stderr, the context in env.

use bytes::Bytes;
use wasmtime::Store;
use wasmtime_wasi::I32Exit;
use wasmtime_wasi::p2::pipe::MemoryInputPipe;

use crate::abi::Abi;
use crate::abi::executor::{EventDelivery, Executor, HttpDelivery};
use crate::abi::guard;
use crate::config::{FunctionConfig, caps};
use crate::error::{DeployError, FunctionError, StackFrame};
use crate::host::limits::MemoryLimiter;
use crate::host::log::{LogCapture, tail};
use crate::host::sandbox;
use crate::host::state::CommandState;

/// The result of one command run.
pub(crate) struct CommandRun {
    /// stdout, when the command succeeded.
    pub result: Result<Bytes, FunctionError>,
    /// stderr (the function's log).
    pub log: Bytes,
    pub peak_memory_bytes: usize,
}

/// Runs the command once with `stdin` and the extra environment `env`.
pub(crate) async fn run(
    pre: &wasmtime::InstancePre<CommandState>,
    config: &FunctionConfig,
    env: &[(String, String)],
    stdin: Bytes,
) -> Result<CommandRun, DeployError> {
    let stdout = LogCapture::with_capacity(caps::MAX_RESULT_BYTES + 1);
    let stderr = LogCapture::default();
    let mut builder = sandbox::wasi_builder(config, &stderr, env)?;
    builder
        .stdout(stdout.clone())
        .stdin(MemoryInputPipe::new(stdin));
    let state = CommandState {
        wasi: builder.build_p1(),
        limiter: MemoryLimiter::new(config.memory_size_mb),
        deadline: std::time::Instant::now(),
    };
    let mut store = Store::new(pre.module().engine(), state);
    guard::install(&mut store);
    guard::arm(&mut store, config.timeout);

    let budget = config.timeout;
    let outcome = tokio::time::timeout(guard::backstop(budget), async {
        let instance = pre.instantiate_async(&mut store).await?;
        let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
        start.call_async(&mut store, ()).await
    })
    .await;
    let exit = match outcome {
        Err(_elapsed) => Exit::TimedOut,
        Ok(Ok(())) => Exit::Success,
        Ok(Err(err)) => match err.downcast_ref::<I32Exit>() {
            Some(I32Exit(0)) => Exit::Success,
            Some(I32Exit(code)) => Exit::Status(*code),
            None => Exit::Trap(err),
        },
    };
    let log = stderr.take();
    let result = match exit {
        Exit::Success => {
            let bytes = stdout.take();
            if bytes.len() > caps::MAX_RESULT_BYTES {
                Err(FunctionError::unhandled(
                    "ResultTooLarge",
                    format!("the result exceeds {} bytes", caps::MAX_RESULT_BYTES),
                ))
            } else {
                Ok(bytes)
            }
        }
        Exit::Status(code) => Err(exit_error(code, &log)),
        Exit::TimedOut => Err(guard::timed_out("Function", budget)),
        Exit::Trap(err) => {
            let hit_limit = store.data().limiter.hit_limit;
            Err(guard::classify(
                &err,
                hit_limit,
                "Function",
                budget,
                config.memory_size_mb,
            ))
        }
    };
    Ok(CommandRun {
        result,
        log,
        peak_memory_bytes: store.data().limiter.peak_bytes(),
    })
}

/// How a command run ended.
enum Exit {
    Success,
    Status(i32),
    Trap(wasmtime::Error),
    TimedOut,
}

/// A non-zero exit: the message is the tail of stderr, as the contract says.
fn exit_error(code: i32, log: &[u8]) -> FunctionError {
    let stderr_tail = String::from_utf8_lossy(tail(log, caps::ERROR_MESSAGE_BYTES))
        .trim()
        .to_string();
    let message = if stderr_tail.is_empty() {
        format!("process exited with status {code}")
    } else {
        stderr_tail
    };
    let mut error = FunctionError::unhandled("ExitError", message);
    error.stack_trace = vec![StackFrame::Text(format!("exit status {code}"))];
    error
}

/// The WASI p1 command executor: no warm instances; a fresh process per
/// event (stdin in, stdout out) or per HTTP request (CGI).
pub(crate) struct CommandExecutor(pub(crate) wasmtime::InstancePre<CommandState>);

impl Executor for CommandExecutor {
    fn abi(&self) -> Abi {
        Abi::Command
    }

    fn event_delivery(&self) -> EventDelivery {
        EventDelivery::FreshProcess
    }

    fn http_delivery(&self) -> HttpDelivery {
        HttpDelivery::Cgi
    }

    fn command(&self) -> Option<&wasmtime::InstancePre<CommandState>> {
        Some(&self.0)
    }
}
