//! Turning a function's stderr into log entries (CONTRACT §4.3).

use std::collections::VecDeque;

use serde_json::{Map, Value};

use crate::outcome::{LogEntry, LogLevel, LogSource};

/// Retained stderr per invocation; older lines are dropped past this.
pub const STDERR_RETAIN_BYTES: usize = 1024 * 1024;

/// Parses one stderr line. A JSON object with string `level` and `message` is
/// a structured log; anything else is an `info` line as written.
pub fn parse_stderr_line(line: &str) -> LogEntry {
    structured(line, LogSource::Stderr).unwrap_or_else(|| LogEntry::plain(LogSource::Stderr, LogLevel::Info, line))
}

fn structured(line: &str, source: LogSource) -> Option<LogEntry> {
    let trimmed = line.trim();
    if !trimmed.starts_with('{') {
        return None;
    }
    let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(trimmed) else {
        return None;
    };
    if !obj.contains_key("level") || !obj.contains_key("message") {
        return None;
    }
    log_from_object(obj, source)
}

/// Builds a log entry from a `{level, message, data?, timestamp?}` object, as
/// found in a response's `logs` array or on a structured stderr line. Fields
/// other than those four are kept under `data` so nothing is lost.
pub fn log_from_object(mut obj: Map<String, Value>, source: LogSource) -> Option<LogEntry> {
    let level = match obj.remove("level") {
        Some(Value::String(s)) => LogLevel::parse(&s),
        Some(_) | None => LogLevel::Info,
    };
    let message = match obj.remove("message")? {
        Value::String(s) => s,
        other => other.to_string(),
    };
    let timestamp = match obj.remove("timestamp") {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    let mut data = match obj.remove("data") {
        Some(Value::Object(map)) => Some(map),
        Some(Value::Null) | None => None,
        Some(other) => Some(Map::from_iter([("value".to_string(), other)])),
    };
    if !obj.is_empty() {
        data.get_or_insert_with(Map::new).extend(obj);
    }
    Some(LogEntry { level, message, data, timestamp, source })
}

/// Stderr lines kept for the result, capped at `limit` bytes: once over, the
/// oldest lines go, and a marker at the front says how many.
#[derive(Debug)]
pub struct StderrLog {
    entries: VecDeque<(LogEntry, usize)>,
    bytes: usize,
    limit: usize,
    dropped_lines: u64,
    dropped_bytes: u64,
}

impl StderrLog {
    pub fn new(limit: usize) -> Self {
        StderrLog { entries: VecDeque::new(), bytes: 0, limit, dropped_lines: 0, dropped_bytes: 0 }
    }

    pub fn push(&mut self, entry: LogEntry, raw_len: usize) {
        self.bytes += raw_len;
        self.entries.push_back((entry, raw_len));
        while self.bytes > self.limit && self.entries.len() > 1 {
            let (_, len) = self.entries.pop_front().expect("len > 1");
            self.bytes -= len;
            self.dropped_lines += 1;
            self.dropped_bytes += len as u64;
        }
    }

    pub fn into_entries(self) -> Vec<LogEntry> {
        let mut out = Vec::with_capacity(self.entries.len() + 1);
        if self.dropped_lines > 0 {
            out.push(LogEntry::plain(
                LogSource::Stderr,
                LogLevel::Warn,
                format!(
                    "[alyx] {} earlier stderr lines ({} bytes) dropped: retained stderr is capped at {} bytes",
                    self.dropped_lines, self.dropped_bytes, self.limit
                ),
            ));
        }
        out.extend(self.entries.into_iter().map(|(e, _)| e));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_line_is_info() {
        let e = parse_stderr_line("hello world");
        assert_eq!(e.level, LogLevel::Info);
        assert_eq!(e.message, "hello world");
        assert_eq!(e.source, LogSource::Stderr);
        assert!(e.data.is_none());
    }

    #[test]
    fn structured_line_keeps_level_data_timestamp_and_extras() {
        let e = parse_stderr_line(
            r#"{"level":"WARNING","message":"disk","data":{"free":3},"timestamp":"2026-01-01T00:00:00Z","fn":"x"}"#,
        );
        assert_eq!(e.level, LogLevel::Warn);
        assert_eq!(e.message, "disk");
        assert_eq!(e.timestamp.as_deref(), Some("2026-01-01T00:00:00Z"));
        let data = e.data.unwrap();
        assert_eq!(data["free"], 3);
        assert_eq!(data["fn"], "x");
    }

    #[test]
    fn json_without_level_or_message_is_a_plain_line() {
        for line in [r#"{"message":"m"}"#, r#"{"level":"info"}"#, r#"[1,2]"#, r#"{"level":"info","#] {
            let e = parse_stderr_line(line);
            assert_eq!(e.message, line);
            assert_eq!(e.level, LogLevel::Info);
        }
    }

    #[test]
    fn cap_drops_oldest_and_marks_it() {
        let mut log = StderrLog::new(10);
        for i in 0..5 {
            log.push(LogEntry::plain(LogSource::Stderr, LogLevel::Info, format!("line{i}")), 6);
        }
        let out = log.into_entries();
        assert_eq!(out.len(), 2);
        assert!(out[0].message.contains("4 earlier stderr lines"), "{}", out[0].message);
        assert_eq!(out[1].message, "line4");
    }

    #[test]
    fn under_cap_has_no_marker() {
        let mut log = StderrLog::new(100);
        log.push(LogEntry::plain(LogSource::Stderr, LogLevel::Info, "a"), 2);
        let out = log.into_entries();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].message, "a");
    }
}
