//! The result of one invocation, in the shape JS receives it (CONTRACT §2, §3).

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Outcome codes the runtime itself produces. A function's own `error.code`
/// is passed through as a plain string and never mapped to one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    FunctionNotFound,
    InvalidFunctionName,
    InvalidManifest,
    InvalidInput,
    RuntimeNotFound,
    SpawnFailed,
    BuildFailed,
    Timeout,
    Cancelled,
    OutputTooLarge,
    MemoryLimitExceeded,
    InvalidOutput,
    ExitError,
    Killed,
    QueueFull,
    WorkerStartFailed,
    SandboxUnavailable,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::FunctionNotFound => "FUNCTION_NOT_FOUND",
            Code::InvalidFunctionName => "INVALID_FUNCTION_NAME",
            Code::InvalidManifest => "INVALID_MANIFEST",
            Code::InvalidInput => "INVALID_INPUT",
            Code::RuntimeNotFound => "RUNTIME_NOT_FOUND",
            Code::SpawnFailed => "SPAWN_FAILED",
            Code::BuildFailed => "BUILD_FAILED",
            Code::Timeout => "TIMEOUT",
            Code::Cancelled => "CANCELLED",
            Code::OutputTooLarge => "OUTPUT_TOO_LARGE",
            Code::MemoryLimitExceeded => "MEMORY_LIMIT_EXCEEDED",
            Code::InvalidOutput => "INVALID_OUTPUT",
            Code::ExitError => "EXIT_ERROR",
            Code::Killed => "KILLED",
            Code::QueueFull => "QUEUE_FULL",
            Code::WorkerStartFailed => "WORKER_START_FAILED",
            Code::SandboxUnavailable => "SANDBOX_UNAVAILABLE",
        }
    }

    /// Every code, in CONTRACT §3 order: the one list `index.js` exports as
    /// `CODES` (through the binding) and `index.d.ts` is checked against.
    pub const ALL: [Code; 17] = [
        Code::FunctionNotFound,
        Code::InvalidFunctionName,
        Code::InvalidManifest,
        Code::InvalidInput,
        Code::RuntimeNotFound,
        Code::SpawnFailed,
        Code::BuildFailed,
        Code::Timeout,
        Code::QueueFull,
        Code::Cancelled,
        Code::OutputTooLarge,
        Code::MemoryLimitExceeded,
        Code::InvalidOutput,
        Code::ExitError,
        Code::Killed,
        Code::WorkerStartFailed,
        Code::SandboxUnavailable,
    ];
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ErrorInfo {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Map<String, Value>>,
}

impl ErrorInfo {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ErrorInfo { code: code.as_str().to_string(), message: message.into(), details: None }
    }

    pub fn with_details(mut self, details: Map<String, Value>) -> Self {
        self.details = Some(details);
        self
    }
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

impl LogLevel {
    /// Lenient: functions write `warning`, `WARN`, `fatal`, `trace`…
    pub fn parse(s: &str) -> LogLevel {
        match s.to_ascii_lowercase().as_str() {
            "debug" | "trace" | "verbose" => LogLevel::Debug,
            "warn" | "warning" => LogLevel::Warn,
            "error" | "err" | "fatal" | "critical" | "panic" => LogLevel::Error,
            _ => LogLevel::Info,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogSource {
    Response,
    Stderr,
    Stdout,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LogEntry {
    pub level: LogLevel,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    pub source: LogSource,
}

impl LogEntry {
    pub fn plain(source: LogSource, level: LogLevel, message: impl Into<String>) -> Self {
        LogEntry { level, message: message.into(), data: None, timestamp: None, source }
    }
}

/// What `invoke` resolves with. `exitCode` is always present (null when the
/// process was killed by a signal or never spawned), as the contract requires.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvokeResult {
    pub success: bool,
    /// Spliced in by `to_json` (never copied through serde).
    #[serde(skip)]
    pub output: Option<Output>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInfo>,
    pub logs: Vec<LogEntry>,
    pub request_id: String,
    pub duration_ms: u64,
    pub exit_code: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    /// Time spent waiting for a slot or a build before the process started.
    pub queued_ms: u64,
}

impl InvokeResult {
    /// A failure decided before any process ran.
    pub fn failed(request_id: String, error: ErrorInfo) -> Self {
        InvokeResult {
            success: false,
            output: None,
            error: Some(error),
            logs: Vec::new(),
            request_id,
            duration_ms: 0,
            exit_code: None,
            signal: None,
            queued_ms: 0,
        }
    }

    pub fn code(&self) -> Option<&str> {
        self.error.as_ref().map(|e| e.code.as_str())
    }

    pub fn to_json(&self) -> String {
        let rest = serde_json::to_string(self).expect("InvokeResult always serialises");
        match &self.output {
            None => rest,
            Some(out) => {
                let out = out.as_str();
                let mut s = String::with_capacity(rest.len() + out.len() + 12);
                s.push_str("{\"output\":");
                s.push_str(out);
                s.push(',');
                s.push_str(&rest[1..]);
                s
            }
        }
    }
}

/// A result as JSON bytes (`InvokeResult::into_json`): the bytes from
/// `start` on.
#[derive(Debug)]
pub struct JsonText {
    buf: Vec<u8>,
    start: usize,
}

impl JsonText {
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

impl InvokeResult {
    /// [`InvokeResult::to_json`] as bytes, for the binding: an output read
    /// into the stdout buffer is not copied, the envelope is written around
    /// it in that buffer (a 100 MB echo costs no extra 100 MB copy).
    pub fn into_json(self) -> JsonText {
        const HEAD: &[u8] = b"{\"output\":";
        let rest = serde_json::to_vec(&self).expect("InvokeResult always serialises");
        let (mut buf, start, end) = match self.output {
            None => return JsonText { buf: rest, start: 0 },
            Some(Output::Stdout { buf, start, end }) if start >= HEAD.len() && !mostly_spare(&buf, end - start) => {
                (buf, start, end)
            }
            Some(out) => {
                let mut buf = Vec::with_capacity(HEAD.len() + out.as_str().len() + rest.len());
                buf.extend_from_slice(HEAD);
                buf.extend_from_slice(out.as_str().as_bytes());
                let end = buf.len();
                (buf, HEAD.len(), end)
            }
        };
        // Whatever stdout held after the output is no longer needed.
        buf.truncate(end);
        buf[start - HEAD.len()..start].copy_from_slice(HEAD);
        buf.push(b',');
        buf.extend_from_slice(&rest[1..]);
        JsonText { buf, start: start - HEAD.len() }
    }
}

/// Whether a stdout buffer is mostly unused room around an output of `len`
/// bytes (a small result in a read buffer of 64 KiB or more): the result is
/// then copied out. The buffer is freed here, on the worker thread: freed on
/// the JS thread, a chunk that large made glibc consolidate and trim the
/// worker's arena there (madvise, TLB shootdowns) on every call
/// (docs/ARCHITECTURE.md, "The binding and the JS layer").
fn mostly_spare(buf: &Vec<u8>, len: usize) -> bool {
    const SMALL: usize = 16 * 1024;
    len <= SMALL && buf.capacity() > 2 * len + SMALL
}

/// A response's `output` JSON: owned, or a range of the stdout it was read
/// into (a 100 MB output is then never copied inside the core).
#[derive(Debug)]
pub enum Output {
    Raw(Box<RawValue>),
    Stdout { buf: Vec<u8>, start: usize, end: usize },
}

impl Output {
    pub fn as_str(&self) -> &str {
        match self {
            Output::Raw(r) => r.get(),
            Output::Stdout { buf, start, end } => std::str::from_utf8(&buf[*start..*end]).unwrap_or("null"),
        }
    }
}

#[cfg(test)]
#[path = "outcome_tests.rs"]
mod tests;
