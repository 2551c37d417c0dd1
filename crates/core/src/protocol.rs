//! The wire protocol (CONTRACT §4): the request written to stdin and the
//! response read back from stdout.

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::logs::{BoundedLogs, Dropped, Retained, RETAIN_BYTES};

mod depth;
mod span;
use crate::outcome::{ErrorInfo, LogEntry, LogLevel, LogSource};
pub(crate) use depth::from_slice_deep;
pub use depth::nesting_depth;

/// The request envelope (CONTRACT §4.1) but its input, which is written
/// between its two parts (`to_parts`).
pub struct Request<'a> {
    pub request_id: &'a str,
    pub function_name: &'a str,
    /// Repeats `function_name` for functions written for the older Alyx host.
    pub function: &'a str,
    pub context: Context<'a>,
}

#[derive(Debug, Serialize)]
pub struct Context<'a> {
    pub auth: Option<&'a Value>,
    pub env: &'a Map<String, Value>,
    pub alyx_url: &'a str,
    pub internal_token: &'a str,
    pub deadline_ms: u64,
}

#[derive(Serialize)]
struct Head<'a> {
    request_id: &'a str,
    function_name: &'a str,
    function: &'a str,
}

impl Request<'_> {
    /// The request's bytes before and after `input`: written around it, so
    /// the input is never copied into one big buffer.
    pub fn to_parts(&self) -> (Vec<u8>, Vec<u8>) {
        let mut head = serde_json::to_vec(&Head {
            request_id: self.request_id,
            function_name: self.function_name,
            function: self.function,
        })
        .expect("serialises");
        head.pop();
        head.extend_from_slice(b",\"input\":");
        let mut tail = b",\"context\":".to_vec();
        serde_json::to_writer(&mut tail, &self.context).expect("serialises");
        tail.extend_from_slice(b"}\n");
        (head, tail)
    }

    #[cfg(test)]
    pub fn to_bytes(&self, input: &[u8]) -> Vec<u8> {
        let (head, tail) = self.to_parts();
        [head.as_slice(), input, tail.as_slice()].concat()
    }
}

/// A function's response, as found in its stdout.
#[derive(Debug)]
pub struct Response {
    pub success: bool,
    /// Where the output's JSON is: a range of the whole stdout, or a copy
    /// (when only the last line held the response).
    pub output: Option<OutputAt>,
    pub error: Option<ErrorInfo>,
    /// Kept under the retention cap (`logs.rs`); `logs_dropped` counts the rest.
    pub logs: Vec<LogEntry>,
    pub logs_dropped: Dropped,
}

/// What stdout held: the response, if any, and the lines before it (the
/// newest of them, under the retention cap; `stdout_dropped` counts the rest).
#[derive(Debug)]
pub struct ParsedStdout {
    pub response: Option<Response>,
    pub stdout_logs: Vec<LogEntry>,
    /// Why there is no response (`None` when there is one).
    pub rejection: Option<Rejection>,
    pub stdout_dropped: Dropped,
}

/// Which response rule (docs/PROTOCOL.md) stdout failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Nothing but whitespace.
    Empty,
    /// Neither the whole of stdout nor its last line is a JSON object.
    NotJson,
    /// A JSON object, but without a boolean `success`.
    NoSuccess,
    /// JSON nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

impl Rejection {
    pub fn describe(self) -> String {
        match self {
            Rejection::Empty => "function wrote nothing to stdout (expected a JSON response)".into(),
            Rejection::NotJson => {
                "function's stdout is not JSON: neither all of it nor its last line is a JSON object".into()
            }
            Rejection::NoSuccess => "function's JSON response has no boolean `success`".into(),
            Rejection::TooDeep => format!("function's JSON response is nested too deep (more than {MAX_DEPTH} levels)"),
        }
    }
}

/// How deep `output`, `error.details` and `logs[].data` may nest (CONTRACT
/// §14), plus the levels of the response object around them.
pub const MAX_DEPTH: usize = 1000;
const ENVELOPE_DEPTH: usize = 3;

#[derive(Debug)]
pub enum OutputAt {
    Range(usize, usize),
    Copied(Box<RawValue>),
}

impl OutputAt {
    /// The output's JSON text, given the stdout it was parsed from.
    pub fn text<'a>(&'a self, stdout: &'a [u8]) -> &'a str {
        match self {
            OutputAt::Range(start, end) => std::str::from_utf8(&stdout[*start..*end]).unwrap_or("null"),
            OutputAt::Copied(raw) => raw.get(),
        }
    }
}

#[derive(Deserialize)]
struct RawResponse<'a> {
    success: bool,
    #[serde(default, borrow)]
    output: Option<&'a RawValue>,
    #[serde(default)]
    error: Option<Value>,
    #[serde(default)]
    logs: BoundedLogs,
}

/// Applies the response rules: the whole of stdout is one JSON object with a
/// boolean `success`; else the last non-empty line is; the lines before it
/// become `stdout` logs. Neither → no response.
pub fn parse_stdout(stdout: &[u8]) -> ParsedStdout {
    let none = |rejection| ParsedStdout {
        response: None,
        stdout_logs: Vec::new(),
        rejection: Some(rejection),
        stdout_dropped: Dropped::default(),
    };
    let whole = match parse_document(stdout, true) {
        Ok(response) => return ParsedStdout { response: Some(response), rejection: None, ..none(Rejection::Empty) },
        Err(rejection) => rejection,
    };
    let text = String::from_utf8_lossy(stdout);
    let mut lines = text.lines().rev().skip_while(|l| l.trim().is_empty());
    let Some(last) = lines.next() else {
        return none(Rejection::Empty);
    };
    let response = match parse_document(last.as_bytes(), false) {
        Ok(response) => response,
        // The more telling of the two reasons: a near-miss beats "not JSON".
        Err(line) => return none(whole.min(line)),
    };
    // The lines before the response, newest first until the retention cap
    // (`logs.rs`) is full; older ones are only counted, never held.
    let mut kept = Vec::new();
    let (mut bytes, mut dropped) = (0usize, Dropped::default());
    for line in lines.filter(|l| !l.trim().is_empty()) {
        if bytes + line.len() + 1 > RETAIN_BYTES && !kept.is_empty() {
            dropped.entries += 1;
            dropped.bytes += line.len() as u64 + 1;
            continue;
        }
        bytes += line.len() + 1;
        kept.push(LogEntry::plain(LogSource::Stdout, LogLevel::Info, line));
    }
    kept.reverse();
    ParsedStdout { response: Some(response), stdout_logs: kept, rejection: None, stdout_dropped: dropped }
}

/// Ordered from most to least telling, for `min` above.
impl PartialOrd for Rejection {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Rejection {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let rank = |r: &Rejection| match r {
            Rejection::TooDeep => 0,
            Rejection::NoSuccess => 1,
            Rejection::NotJson => 2,
            Rejection::Empty => 3,
        };
        rank(self).cmp(&rank(other))
    }
}

fn parse_document(whole: &[u8], in_place: bool) -> Result<Response, Rejection> {
    // A UTF-8 byte order mark (some Windows-born tools write one) is not text.
    let bytes = whole.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(whole);
    // serde would also accept a JSON array for a struct; only objects count.
    let Some(first) = bytes.iter().find(|b| !b.is_ascii_whitespace()) else { return Err(Rejection::Empty) };
    if *first != b'{' {
        return Err(Rejection::NotJson);
    }
    // A large output is found by the fast scan (which also bounds the
    // depth); serde parses what is around it.
    let max_depth = MAX_DEPTH + ENVELOPE_DEPTH;
    let found = (in_place && bytes.len() >= span::FAST_FROM).then(|| span::output_span(bytes, max_depth)).flatten();
    if found.is_none() && nesting_depth(bytes) > max_depth {
        return Err(Rejection::TooDeep);
    }
    let envelope = match found {
        Some(Some((start, end))) => std::borrow::Cow::Owned([&bytes[..start], b"null", &bytes[end..]].concat()),
        _ => std::borrow::Cow::Borrowed(bytes),
    };
    let raw: RawResponse = from_slice_deep(&envelope).map_err(|_| match from_slice_deep::<IgnoredAny>(&envelope) {
        Ok(_) => Rejection::NoSuccess,
        Err(_) => Rejection::NotJson,
    })?;
    let offset = whole.len() - bytes.len();
    let output = match found {
        Some(span) => span
            .filter(|&(start, end)| &bytes[start..end] != b"null")
            .map(|(start, end)| OutputAt::Range(offset + start, offset + end)),
        None => raw.output.map(|o| {
            if in_place {
                let start = o.get().as_ptr() as usize - whole.as_ptr() as usize;
                OutputAt::Range(start, start + o.get().len())
            } else {
                OutputAt::Copied(o.to_owned())
            }
        }),
    };
    Ok(Response {
        success: raw.success,
        output,
        error: if raw.success { None } else { Some(error_from(raw.error)) },
        logs_dropped: raw.logs.0.as_ref().map(Retained::dropped).unwrap_or_default(),
        logs: raw.logs.0.map(Retained::into_kept).unwrap_or_default(),
    })
}

/// A function's error, kept as written where it has the right shape; a bare
/// string or a missing code still yields a usable error.
fn error_from(value: Option<Value>) -> ErrorInfo {
    const DEFAULT_CODE: &str = "FUNCTION_ERROR";
    match value {
        Some(Value::Object(mut obj)) => {
            let code = match obj.remove("code") {
                Some(Value::String(s)) if !s.is_empty() => s,
                _ => DEFAULT_CODE.to_string(),
            };
            let message = match obj.remove("message") {
                Some(Value::String(s)) => s,
                Some(other) => other.to_string(),
                None => "function reported failure".to_string(),
            };
            let details = match obj.remove("details") {
                Some(Value::Object(map)) => Some(map),
                Some(Value::Null) | None => None,
                Some(other) => Some(Map::from_iter([("value".to_string(), other)])),
            };
            ErrorInfo { code, message, details }
        }
        Some(Value::String(message)) => ErrorInfo { code: DEFAULT_CODE.into(), message, details: None },
        _ => ErrorInfo {
            code: DEFAULT_CODE.into(),
            message: "function reported failure without an error".into(),
            details: None,
        },
    }
}

#[cfg(test)]
mod tests;
