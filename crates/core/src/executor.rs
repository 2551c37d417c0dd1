//! One invocation from a ready-to-run process description to its outcome:
//! spawn, feed stdin, drain stdout/stderr, enforce timeout, cancel and cap,
//! then apply the response and exit-code rules (CONTRACT §4.2).

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::logs::{parse_stderr_line, StderrLog, STDERR_RETAIN_BYTES};
use crate::outcome::{Code, ErrorInfo, InvokeResult, LogEntry};
use crate::process::capture::{read_capped, read_lines};
use crate::process::group::signal_name;
use crate::process::memory;
use crate::process::{Exit, Spec};
use crate::protocol::parse_stdout;
use crate::redact;
use crate::sandbox::SpawnError;

pub type LogSink = Arc<dyn Fn(&LogEntry) + Send + Sync>;

/// Bytes of stdout/stderr quoted in an error's details.
const EXCERPT_BYTES: usize = 4096;
/// How long to keep reading pipes after the process is gone: a descendant
/// that left the process group could otherwise hold them open for ever.
const DRAIN_AFTER_KILL: Duration = Duration::from_secs(1);

/// The request as written to stdin: `head`, the input JSON, `tail`.
pub struct RequestParts {
    pub head: Vec<u8>,
    pub input: Box<serde_json::value::RawValue>,
    pub tail: Vec<u8>,
}

pub struct Job {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub cwd: PathBuf,
    pub env: Vec<(OsString, OsString)>,
    /// Written around the input, so a large input is never copied.
    pub request: RequestParts,
    pub deadline: Instant,
    pub timeout: Duration,
    pub kill_grace: Duration,
    pub max_output: usize,
    /// The manifest `memory` limit, in bytes, enforced by sampling RSS.
    pub memory_limit: Option<u64>,
    pub cancel: CancellationToken,
    pub on_log: Option<LogSink>,
    /// Never shown to anyone: redacted from logs and error details.
    pub secret: String,
    /// The call's sandbox rules (CONTRACT §11), if it has any.
    pub sandbox: Option<crate::sandbox::Rules>,
}

/// Why the runtime stopped a process before it finished on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Timeout,
    Cancelled,
    OutputTooLarge,
    MemoryLimit(u64),
}

/// How often a memory-limited function's RSS is sampled.
const MEMORY_SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// The pieces of a finished invocation the result is built from.
pub struct Finished {
    pub success: bool,
    pub output: Option<crate::outcome::Output>,
    pub error: Option<ErrorInfo>,
    pub logs: Vec<LogEntry>,
    pub exit_code: Option<i32>,
    pub signal: Option<String>,
}

impl Finished {
    pub fn failed(error: ErrorInfo) -> Self {
        Finished { success: false, output: None, error: Some(error), logs: Vec::new(), exit_code: None, signal: None }
    }

    pub fn into_result(self, request_id: String, duration_ms: u64) -> InvokeResult {
        InvokeResult {
            success: self.success,
            output: self.output,
            error: self.error,
            logs: self.logs,
            request_id,
            duration_ms,
            exit_code: self.exit_code,
            signal: self.signal,
        }
    }
}

pub async fn execute(job: Job) -> Finished {
    let spec = Spec { program: &job.program, args: &job.args, cwd: &job.cwd, env: &job.env };
    // security (§11): a sandboxed call is spawned by a thread that
    // restricted itself first (sandbox/mod.rs).
    let mut process = match crate::sandbox::spawn(&spec, job.sandbox.as_ref()) {
        Ok(p) => p,
        Err(SpawnError::Unavailable(message)) => {
            return Finished::failed(ErrorInfo::new(Code::SandboxUnavailable, message))
        }
        Err(SpawnError::Io(e)) => {
            return Finished::failed(ErrorInfo::new(
                Code::SpawnFailed,
                format!("could not start {}: {}", job.program.display(), spawn_reason(&e)),
            ))
        }
    };

    // Stdin is written on its own task while stdout and stderr drain, so no
    // payload size can deadlock; a function that never reads it is fine.
    let stdin = process.stdin.take();
    let request = job.request;
    let writer = tokio::spawn(async move {
        if let Some(mut stdin) = stdin {
            let _ = async {
                stdin.write_all(&request.head).await?;
                stdin.write_all(request.input.get().as_bytes()).await?;
                stdin.write_all(&request.tail).await
            }
            .await;
            let _ = stdin.shutdown().await;
        }
    });

    let secret = job.secret.as_str();
    let mut stderr_log = StderrLog::new(STDERR_RETAIN_BYTES);
    let mut stderr_tail = Tail::new(EXCERPT_BYTES);
    let on_log = job.on_log.clone();
    let stderr_fut =
        read_lines(process.stderr.take().expect("piped"), STDERR_RETAIN_BYTES, secret.as_bytes(), |line, raw_len| {
            let line = redact::text(line, secret);
            stderr_tail.push(&line);
            // Redacted again once parsed: a structured line may carry the
            // token JSON-escaped, or in its timestamp or data (redact.rs).
            let entry = redact::log(parse_stderr_line(&line), secret);
            if let Some(sink) = &on_log {
                sink(&entry);
            }
            stderr_log.push(entry, raw_len);
        });
    let mut stdout = Vec::new();
    let (stop, exit) = {
        let mut stop = None;
        let stdout_fut = read_capped(process.stdout.take().expect("piped"), &mut stdout, job.max_output);
        tokio::pin!(stderr_fut, stdout_fut);

        let mut stdout_done = false;
        let mut stderr_done = false;
        {
            let exited = process.exited();
            tokio::pin!(exited);
            let pid = process.pid();
            let mut sampler = tokio::time::interval(MEMORY_SAMPLE_EVERY);
            loop {
                tokio::select! {
                    r = &mut stdout_fut, if !stdout_done => match r {
                        Ok(()) => stdout_done = true,
                        Err(_) => { stop = Some(Stop::OutputTooLarge); break; }
                    },
                    _ = &mut stderr_fut, if !stderr_done => stderr_done = true,
                    _ = &mut exited => break,
                    _ = tokio::time::sleep_until(job.deadline) => { stop = Some(Stop::Timeout); break; }
                    _ = job.cancel.cancelled() => { stop = Some(Stop::Cancelled); break; }
                    _ = sampler.tick(), if job.memory_limit.is_some() => {
                        let limit = job.memory_limit.unwrap_or(u64::MAX);
                        if let Some(rss) = memory::group_pss(pid).filter(|rss| *rss > limit) {
                            stop = Some(Stop::MemoryLimit(rss));
                            break;
                        }
                    }
                }
            }
        }
        if stop.is_some() {
            process.terminate(job.kill_grace).await;
        }
        // The leader is gone (unreaped): kill what is left of its group, so
        // grandchildren holding the pipes open cannot stall us, then reap.
        // Only a descendant that left the group (setsid) can still hold the
        // pipes: it gets DRAIN_AFTER_KILL, and what was read is kept.
        let exit = process.reap();
        let drain = async {
            if !stdout_done && stop.is_none() && stdout_fut.await.is_err() {
                stop = Some(Stop::OutputTooLarge);
            }
            if !stderr_done {
                stderr_fut.await;
            }
        };
        let _ = tokio::time::timeout(DRAIN_AFTER_KILL, drain).await;
        (stop, exit)
    };
    writer.abort();

    let exit = match exit {
        Ok(exit) => exit,
        Err(e) => return Finished::failed(ErrorInfo::new(Code::SpawnFailed, format!("lost the process: {e}"))),
    };
    let stderr_logs = stderr_log.into_entries();
    let (exit_code, signal) = match exit {
        Exit::Code(c) => (Some(c), None),
        Exit::Signal(s) => (None, Some(signal_name(s))),
    };
    let stopped = |code: Code, message: String| Finished {
        success: false,
        output: None,
        error: Some(ErrorInfo::new(code, message)),
        logs: stderr_logs.clone(),
        exit_code,
        signal: signal.clone(),
    };
    match stop {
        Some(Stop::Timeout) => {
            return stopped(Code::Timeout, format!("function timed out after {} ms", job.timeout.as_millis()))
        }
        Some(Stop::Cancelled) => return stopped(Code::Cancelled, "invocation was cancelled".into()),
        Some(Stop::MemoryLimit(rss)) => {
            return stopped(Code::MemoryLimitExceeded, memory_message(job.memory_limit, Some(rss)))
        }
        Some(Stop::OutputTooLarge) => {
            return stopped(Code::OutputTooLarge, format!("stdout exceeded maxOutputBytes ({} bytes)", job.max_output))
        }
        None => {}
    }

    // A runtime's own heap cap (node/deno get --max-old-space-size from the
    // limit) ends the process before the sampler sees it: same outcome.
    if job.memory_limit.is_some() && exit != Exit::Code(0) && stderr_tail.text().contains("heap out of memory") {
        return stopped(Code::MemoryLimitExceeded, memory_message(job.memory_limit, None));
    }
    if let Exit::Signal(sig) = exit {
        let name = signal_name(sig);
        let mut f = stopped(Code::Killed, format!("function died of {name}"));
        f.error.as_mut().unwrap().details =
            Some(details(&[("signal", name.into()), ("stderr", stderr_tail.text().into())]));
        return f;
    }
    let code = exit_code.unwrap_or(-1);
    let parsed = parse_stdout(&stdout);
    let mut logs = Vec::new();
    match parsed.response {
        Some(resp) if code == 0 || !resp.success => {
            logs.extend(resp.logs.into_iter().map(|l| redact::log(l, secret)));
            logs.extend(parsed.stdout_logs.into_iter().map(|l| redact::log(l, secret)));
            logs.extend(stderr_logs);
            Finished {
                success: resp.success,
                output: if resp.success {
                    Some(match resp.output {
                        Some(crate::protocol::OutputAt::Range(start, end)) => {
                            crate::outcome::Output::Stdout { buf: stdout, start, end }
                        }
                        Some(crate::protocol::OutputAt::Copied(raw)) => crate::outcome::Output::Raw(raw),
                        None => crate::outcome::Output::Raw(null_raw()),
                    })
                } else {
                    None
                },
                error: resp.error.map(|e| redact::error(e, secret)),
                logs,
                exit_code,
                signal: None,
            }
        }
        _ if code != 0 => {
            let message = match stderr_tail.last_line() {
                Some(last) => format!("function exited with code {code}: {last}"),
                None => format!("function exited with code {code}"),
            };
            let mut f = stopped(Code::ExitError, message);
            f.error.as_mut().unwrap().details =
                Some(details(&[("exitCode", code.into()), ("stderr", stderr_tail.text().into())]));
            f
        }
        _ => {
            let rule = parsed.rejection.unwrap_or(crate::protocol::Rejection::NotJson);
            let mut f = stopped(Code::InvalidOutput, rule.describe());
            f.error.as_mut().unwrap().details = Some(details(&[
                ("stdout", excerpt(&redact::text(&String::from_utf8_lossy(&stdout), secret)).into()),
                ("stderr", stderr_tail.text().into()),
            ]));
            f
        }
    }
}

fn memory_message(limit: Option<u64>, rss: Option<u64>) -> String {
    const MB: u64 = 1024 * 1024;
    let limit = limit.unwrap_or(0) / MB;
    match rss {
        Some(rss) => format!("function exceeded its memory limit of {limit} MB (using {} MB)", rss / MB),
        None => format!("function exceeded its memory limit of {limit} MB (its runtime's heap limit)"),
    }
}

fn details(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn null_raw() -> Box<serde_json::value::RawValue> {
    serde_json::value::RawValue::from_string("null".into()).expect("valid JSON")
}

fn spawn_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => format!("{e} (is the file executable?)"),
        std::io::ErrorKind::NotFound => {
            format!("{e} (missing program, or a bad interpreter in its #! line)")
        }
        _ => e.to_string(),
    }
}

/// The head of `text`, at most EXCERPT_BYTES. Cut only after redaction, so a
/// secret crossing the cut cannot leak half of itself.
fn excerpt(text: &str) -> String {
    if text.len() <= EXCERPT_BYTES {
        return text.to_string();
    }
    let mut cut = EXCERPT_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…[truncated]", &text[..cut])
}

/// The last few KiB of stderr, for error messages.
struct Tail {
    text: String,
    limit: usize,
}

impl Tail {
    fn new(limit: usize) -> Self {
        Tail { text: String::new(), limit }
    }

    fn push(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
        if self.text.len() > self.limit * 2 {
            let mut cut = self.text.len() - self.limit;
            while !self.text.is_char_boundary(cut) {
                cut += 1;
            }
            self.text.drain(..cut);
        }
    }

    fn text(&self) -> String {
        let mut cut = self.text.len().saturating_sub(self.limit);
        while !self.text.is_char_boundary(cut) {
            cut += 1;
        }
        self.text[cut..].to_string()
    }

    fn last_line(&self) -> Option<&str> {
        self.text.lines().rev().find(|l| !l.trim().is_empty())
    }
}
