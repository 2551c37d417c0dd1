//! alyx-core: runs functions written in any language as one-shot
//! subprocesses that read one JSON request on stdin and write one JSON
//! response on stdout. Knows nothing of Node; the napi crate wraps it.

pub mod builder;
pub mod call_env;
pub mod catalog;
pub mod discovery;
pub mod env;
pub mod executor;
pub mod function;
pub mod gocache;
pub mod logs;
pub mod manifest;
pub mod outcome;
pub mod process;
pub mod protocol;
pub mod queue;
pub mod redact;
pub mod registry;
pub mod routes;
pub mod runtime;
pub mod runtime_info;
pub mod sandbox;
pub mod schedule;
pub mod signed_token;
pub mod token;
pub mod triggers;
pub mod watch;

pub use catalog::Diagnostic;
pub use function::FunctionInfo;
pub use outcome::{Code, ErrorInfo, InvokeResult, LogEntry, LogLevel, LogSource};
pub use process::group::kill_all as kill_all_process_groups;
pub use runtime::{Closed, InvokeOptions, Runtime, RuntimeOptions};
pub use runtime_info::RuntimeInfo;
