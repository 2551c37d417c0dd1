//! The wire protocol (CONTRACT §4): the request written to stdin and the
//! response read back from stdout.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::logs::log_from_object;
use crate::outcome::{ErrorInfo, LogEntry, LogLevel, LogSource};

#[derive(Debug, Serialize)]
pub struct Request<'a> {
    pub request_id: &'a str,
    pub function_name: &'a str,
    /// Repeats `function_name` for functions written for the older Alyx host.
    pub function: &'a str,
    pub input: &'a RawValue,
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

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec(self).expect("request always serialises");
        bytes.push(b'\n');
        bytes
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
    pub logs: Vec<LogEntry>,
}

/// What stdout held: the response, if any, and the lines before it.
#[derive(Debug)]
pub struct ParsedStdout {
    pub response: Option<Response>,
    pub stdout_logs: Vec<LogEntry>,
}

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
    logs: Option<Value>,
}

/// Applies the response rules: the whole of stdout is one JSON object with a
/// boolean `success`; else the last non-empty line is; the lines before it
/// become `stdout` logs. Neither → no response.
pub fn parse_stdout(stdout: &[u8]) -> ParsedStdout {
    if let Some(response) = parse_document(stdout, true) {
        return ParsedStdout { response: Some(response), stdout_logs: Vec::new() };
    }
    let text = String::from_utf8_lossy(stdout);
    let mut lines: Vec<&str> = text.lines().collect();
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    let Some(last) = lines.pop() else {
        return ParsedStdout { response: None, stdout_logs: Vec::new() };
    };
    match parse_document(last.as_bytes(), false) {
        Some(response) => ParsedStdout {
            response: Some(response),
            stdout_logs: lines
                .into_iter()
                .filter(|l| !l.trim().is_empty())
                .map(|l| LogEntry::plain(LogSource::Stdout, LogLevel::Info, l))
                .collect(),
        },
        None => ParsedStdout { response: None, stdout_logs: Vec::new() },
    }
}

fn parse_document(bytes: &[u8], in_place: bool) -> Option<Response> {
    // serde would also accept a JSON array for a struct; only objects count.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' {
        return None;
    }
    let raw: RawResponse = serde_json::from_slice(bytes).ok()?;
    let output = raw.output.map(|o| {
        if in_place {
            let start = o.get().as_ptr() as usize - bytes.as_ptr() as usize;
            OutputAt::Range(start, start + o.get().len())
        } else {
            OutputAt::Copied(o.to_owned())
        }
    });
    Some(Response {
        success: raw.success,
        output,
        error: if raw.success { None } else { Some(error_from(raw.error)) },
        logs: logs_from(raw.logs),
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

fn logs_from(value: Option<Value>) -> Vec<LogEntry> {
    let Some(Value::Array(items)) = value else {
        return Vec::new();
    };
    items
        .into_iter()
        .filter_map(|item| match item {
            Value::Object(obj) => log_from_object(obj, LogSource::Response),
            Value::String(s) => Some(LogEntry::plain(LogSource::Response, LogLevel::Info, s)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> ParsedStdout {
        parse_stdout(s.as_bytes())
    }

    #[test]
    fn whole_stdout_is_the_response_even_when_pretty_printed() {
        let text = "{\n  \"success\": true,\n  \"output\": {\"b\": 1, \"a\": [1,2]}\n}\n";
        let p = parse(text);
        let r = p.response.unwrap();
        assert!(r.success);
        let out = r.output.unwrap();
        assert!(matches!(out, OutputAt::Range(..)), "the whole-stdout output is not copied");
        assert_eq!(out.text(text.as_bytes()), "{\"b\": 1, \"a\": [1,2]}");
        assert!(p.stdout_logs.is_empty());
    }

    #[test]
    fn last_line_is_the_response_and_earlier_lines_are_logs() {
        let p = parse("debug one\n\nsecond\n{\"success\":true,\"output\":42}\n\n");
        assert_eq!(p.response.unwrap().output.unwrap().text(b""), "42");
        let msgs: Vec<_> = p.stdout_logs.iter().map(|l| l.message.as_str()).collect();
        assert_eq!(msgs, ["debug one", "second"]);
        assert!(p.stdout_logs.iter().all(|l| l.source == LogSource::Stdout));
    }

    #[test]
    fn no_response_cases() {
        for s in [
            "",
            "   \n",
            "hello",
            "{\"success\":\"yes\"}",
            "[{\"success\":true}]",
            "{\"output\":1}",
            "{\"success\":true}\ntrailing",
            "{\"success\":tr",
        ] {
            assert!(parse(s).response.is_none(), "{s:?}");
        }
    }

    #[test]
    fn function_error_is_kept_with_code_and_details() {
        let p =
            parse(r#"{"success":false,"error":{"code":"VALIDATION_ERROR","message":"bad","details":{"field":"x"}}}"#);
        let e = p.response.unwrap().error.unwrap();
        assert_eq!(e.code, "VALIDATION_ERROR");
        assert_eq!(e.message, "bad");
        assert_eq!(e.details.unwrap()["field"], "x");
    }

    #[test]
    fn loose_errors_still_produce_a_code() {
        let e = parse(r#"{"success":false,"error":"nope"}"#).response.unwrap().error.unwrap();
        assert_eq!((e.code.as_str(), e.message.as_str()), ("FUNCTION_ERROR", "nope"));
        let e = parse(r#"{"success":false}"#).response.unwrap().error.unwrap();
        assert_eq!(e.code, "FUNCTION_ERROR");
    }

    #[test]
    fn response_logs_are_parsed() {
        let p =
            parse(r#"{"success":true,"output":null,"logs":[{"level":"warn","message":"w","data":{"k":1}},"plain",7]}"#);
        let logs = p.response.unwrap().logs;
        assert_eq!(logs.len(), 2);
        assert_eq!(logs[0].level, LogLevel::Warn);
        assert_eq!(logs[0].source, LogSource::Response);
        assert_eq!(logs[1].message, "plain");
    }

    #[test]
    fn request_has_function_alias_and_context() {
        let input = RawValue::from_string("{\"name\":\"W\"}".into()).unwrap();
        let env = Map::from_iter([("K".to_string(), Value::from("v"))]);
        let req = Request {
            request_id: "r1",
            function_name: "hello",
            function: "hello",
            input: &input,
            context: Context { auth: None, env: &env, alyx_url: "http://x", internal_token: "t", deadline_ms: 5 },
        };
        let v: Value = serde_json::from_slice(&req.to_bytes()).unwrap();
        assert_eq!(v["function"], "hello");
        assert_eq!(v["function_name"], "hello");
        assert_eq!(v["input"]["name"], "W");
        assert_eq!(v["context"]["auth"], Value::Null);
        assert_eq!(v["context"]["env"]["K"], "v");
        assert_eq!(v["context"]["deadline_ms"], 5);
    }
}
