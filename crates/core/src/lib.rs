//! alyx-core: runs functions written in any language as one-shot
//! subprocesses that read one JSON request on stdin and write one JSON
//! response on stdout. Knows nothing of Node; the napi crate wraps it.
//! How a call flows through the modules: docs/ARCHITECTURE.md.
#![deny(clippy::undocumented_unsafe_blocks)]

mod build;
mod call_env;
mod catalog;
mod discovery;
mod env;
mod function;
mod input;
mod invoke;
mod json_escape;
mod logs;
pub mod manifest;
mod options;
mod outcome;
mod process;
mod protocol;
mod redact;
mod registry;
mod resolve;
mod routes;
mod runtime;
mod runtime_info;
pub mod sandbox;
pub mod schedule;
mod signed_token;
mod suggest;
mod token;
mod triggers;
mod warm;
pub mod watch;

pub use build::BuildReport;
pub use catalog::Diagnostic;
pub use function::FunctionInfo;
pub use input::Input;
pub use invoke::admit::{Counts, Stats};
pub use invoke::capture::LogSink;
pub use logs::parse_stderr_line;
pub use options::{Closed, InvokeOptions, RuntimeOptions};
pub use outcome::{Code, ErrorInfo, InvokeResult, JsonText, LogEntry, LogLevel, LogSource};
pub use process::group::kill_all as kill_all_process_groups;
pub use protocol::{parse_stdout, ParsedStdout};
pub use runtime::{FunctionBuild, Runtime};
pub use runtime_info::RuntimeInfo;
pub use warm::PoolInfo;
