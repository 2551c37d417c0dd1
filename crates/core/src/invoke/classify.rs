//! Classification: how a supervised process ended → the call's outcome
//! (CONTRACT §3, §4.2), with every string redacted on the way
//! (`redact.rs`). The only place outcome codes for a run are decided.

use std::time::Duration;

use serde_json::{Map, Value};

use super::capture::{Capture, EXCERPT_BYTES};
use super::redact::Redactor;
use super::supervise::{Stop, Supervised};
use crate::logs::{Retained, RETAIN_BYTES};
use crate::outcome::{Code, ErrorInfo, InvokeResult, LogEntry, Output};
use crate::process::group::signal_name;
use crate::process::Exit;
use crate::protocol::{parse_stdout, OutputAt};

/// The limits the outcome is explained against.
pub(crate) struct Terms {
    pub timeout: Duration,
    pub memory_limit: Option<u64>,
    pub max_output: usize,
    pub redactor: Redactor,
}

/// The pieces of a finished invocation the result is built from.
pub(crate) struct Finished {
    pub success: bool,
    pub output: Option<Output>,
    pub error: Option<ErrorInfo>,
    pub logs: Vec<LogEntry>,
    pub exit_code: Option<i32>,
    pub signal: Option<String>,
}

impl Finished {
    pub fn failed(error: ErrorInfo) -> Self {
        Finished { success: false, output: None, error: Some(error), logs: Vec::new(), exit_code: None, signal: None }
    }

    pub fn into_result(self, request_id: String, duration_ms: u64, queued_ms: u64) -> InvokeResult {
        InvokeResult {
            success: self.success,
            output: self.output,
            error: self.error,
            logs: self.logs,
            request_id,
            duration_ms,
            exit_code: self.exit_code,
            signal: self.signal,
            queued_ms,
        }
    }
}

pub(crate) fn classify(run: Supervised, capture: Capture, terms: &Terms) -> Finished {
    let exit = match run.exit {
        Ok(exit) => exit,
        Err(e) => return Finished::failed(ErrorInfo::new(Code::SpawnFailed, format!("lost the process: {e}"))),
    };
    let Capture { stdout, stderr, tail } = capture;
    let (exit_code, signal) = match exit {
        Exit::Code(c) => (Some(c), None),
        Exit::Signal(s) => (None, Some(signal_name(s))),
    };
    let fail = |code: Code, message: String, details: Option<Map<String, Value>>, stderr: Retained| Finished {
        success: false,
        output: None,
        error: Some(ErrorInfo { details, ..ErrorInfo::new(code, message) }),
        logs: stderr.into_entries(),
        exit_code,
        signal: signal.clone(),
    };
    if let Some(stop) = run.stop {
        let (code, mut message) = stopped(stop, terms);
        if stop == Stop::Timeout && parse_stdout(&stdout).response.is_some() {
            message.push_str(": it wrote a complete response but did not exit");
        }
        return fail(code, message, None, stderr);
    }
    // A runtime's own heap cap (node/deno get --max-old-space-size from the
    // limit) ends the process before the sampler sees it: same outcome.
    if terms.memory_limit.is_some() && exit != Exit::Code(0) && tail.text().contains("heap out of memory") {
        return fail(Code::MemoryLimitExceeded, memory_message(terms.memory_limit, None), None, stderr);
    }
    if let Exit::Signal(sig) = exit {
        let name = signal_name(sig);
        let details = details(&[("signal", name.clone().into()), ("stderr", tail.text().into())]);
        return fail(Code::Killed, format!("function died of {name}"), Some(details), stderr);
    }
    let code = exit_code.unwrap_or(-1);
    let parsed = parse_stdout(&stdout);
    match parsed.response {
        Some(resp) if code == 0 || !resp.success => {
            let r = &terms.redactor;
            // One retention cap over all three sources (CONTRACT §14).
            let section = |logs: Vec<LogEntry>, dropped| {
                Retained::from_parts(logs.into_iter().map(|l| r.log(l)).collect(), dropped, RETAIN_BYTES)
            };
            let logs = Retained::merge(
                vec![section(resp.logs, resp.logs_dropped), section(parsed.stdout_logs, parsed.stdout_dropped), stderr],
                RETAIN_BYTES,
            );
            let output = resp.success.then(|| match resp.output {
                Some(OutputAt::Range(start, end)) => Output::Stdout { buf: stdout, start, end },
                Some(OutputAt::Copied(raw)) => Output::Raw(raw),
                None => Output::Raw(null_raw()),
            });
            Finished {
                success: resp.success,
                output,
                error: resp.error.map(|e| r.error(e)),
                logs,
                exit_code,
                signal: None,
            }
        }
        _ if code != 0 => {
            let message = match tail.telling_line() {
                Some(last) => format!("function exited with code {code}: {last}"),
                None => format!("function exited with code {code}"),
            };
            let details = details(&[("exitCode", code.into()), ("stderr", tail.text().into())]);
            fail(Code::ExitError, message, Some(details), stderr)
        }
        _ => {
            let stdout_text = terms.redactor.text(&String::from_utf8_lossy(&stdout)).into_owned();
            let details = details(&[("stdout", excerpt(&stdout_text).into()), ("stderr", tail.text().into())]);
            let message = parsed.rejection.unwrap_or(crate::protocol::Rejection::NotJson).describe();
            fail(Code::InvalidOutput, message, Some(details), stderr)
        }
    }
}

fn stopped(stop: Stop, terms: &Terms) -> (Code, String) {
    match stop {
        Stop::Timeout => (Code::Timeout, format!("function timed out after {} ms", terms.timeout.as_millis())),
        Stop::Cancelled => (Code::Cancelled, "invocation was cancelled".into()),
        Stop::MemoryLimit(used) => (Code::MemoryLimitExceeded, memory_message(terms.memory_limit, Some(used))),
        Stop::OutputTooLarge => {
            (Code::OutputTooLarge, format!("stdout exceeded maxOutputBytes ({} bytes)", terms.max_output))
        }
    }
}

fn memory_message(limit: Option<u64>, used: Option<u64>) -> String {
    const MB: u64 = 1024 * 1024;
    let limit = limit.unwrap_or(0) / MB;
    match used {
        Some(used) => format!("function exceeded its memory limit of {limit} MB (using {} MB)", used / MB),
        None => format!("function exceeded its memory limit of {limit} MB (its runtime's heap limit)"),
    }
}

fn details(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn null_raw() -> Box<serde_json::value::RawValue> {
    serde_json::value::RawValue::from_string("null".into()).expect("valid JSON")
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
