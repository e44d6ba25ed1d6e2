//! wasm-fc's engine: runs Alibaba Function Compute functions as WebAssembly.
//!
//! One [`Engine`] per process owns the wasmtime engine (pooling allocator,
//! copy-on-write memory images, epoch interruption), the shared linkers and the
//! on-disk artifact store. [`Engine::deploy`] compiles a function's Wasm once
//! (never on the invoke path, never again after a restart) and returns a
//! [`Function`], whose instance pool gives FC semantics: warm instances keep
//! their globals, the initializer runs once per instance, one invocation per
//! instance at a time, bounded concurrency with prompt throttling.
//!
//! Three guest ABIs are detected from the Wasm itself (see [`Abi`]):
//! the `fc:function` event world (`engine/wit/fc-function.wit`), the standard
//! `wasi:http/proxy` world, and WASI p1 commands.
//!
//! Guests are hostile by assumption: they see only the directories, environment
//! and network access their [`FunctionConfig`] grants, cannot run past their
//! timeout or memorySize, and a trap only retires the instance that trapped.

mod abi;
mod artifacts;
mod compile;
mod compile_gate;
mod compile_limits;
mod config;
mod engine;
mod error;
mod function;
mod host;
mod outcome;
mod pool;
mod shared;
mod single_flight;

pub use abi::Abi;
pub use compile_limits::CompileLimits;
pub use config::{EngineConfig, FunctionConfig, InvokeContext, Preopen, caps};
pub use engine::{Engine, EngineStats, INLINE_LOAD_MAX_BYTES};
pub use error::{DeployError, ErrorKind, FunctionError, InvokeError, StackFrame};
pub use function::Function;
pub use outcome::{BodyError, FinishHook, HttpOutcome, Outcome, ResponseBody};
