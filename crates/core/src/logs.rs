//! Log entries (CONTRACT §4.3, §14): stderr lines parsed into entries, and
//! the one retention cap a call's logs share.

use std::collections::VecDeque;

use serde_json::{Map, Value};

use crate::outcome::{LogEntry, LogLevel, LogSource};

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

/// The one retention cap of a call's logs (CONTRACT §14): stderr lines,
/// stdout lines before the response and the response's own `logs` share it.
pub const RETAIN_BYTES: usize = 1024 * 1024;
/// Retained stderr per invocation while it streams (the shared cap applies
/// again when the call's logs are put together).
pub const STDERR_RETAIN_BYTES: usize = RETAIN_BYTES;

/// The bytes an entry counts for against the cap.
pub fn entry_bytes(entry: &LogEntry) -> usize {
    let data = entry.data.as_ref().map_or(0, |d| serde_json::to_string(d).map_or(0, |t| t.len()));
    entry.message.len() + data + entry.timestamp.as_ref().map_or(0, String::len) + 1
}

/// Log entries kept under `limit` bytes: once over, the oldest go.
#[derive(Debug)]
pub struct Retained {
    entries: VecDeque<(LogEntry, usize)>,
    bytes: usize,
    limit: usize,
    dropped: Dropped,
}

/// How many entries (and bytes) were dropped to stay under the cap.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Dropped {
    pub entries: u64,
    pub bytes: u64,
}

impl Retained {
    pub fn new(limit: usize) -> Self {
        Retained { entries: VecDeque::new(), bytes: 0, limit, dropped: Dropped::default() }
    }

    /// Adds `entry`, counting `size` bytes (its raw line length, or
    /// `entry_bytes`).
    pub fn push(&mut self, entry: LogEntry, size: usize) {
        self.bytes += size;
        self.entries.push_back((entry, size));
        while self.bytes > self.limit && self.entries.len() > 1 {
            let (_, len) = self.entries.pop_front().expect("len > 1");
            self.bytes -= len;
            self.dropped.entries += 1;
            self.dropped.bytes += len as u64;
        }
    }

    pub fn push_sized(&mut self, entry: LogEntry) {
        let size = entry_bytes(&entry);
        self.push(entry, size);
    }

    pub fn dropped(&self) -> Dropped {
        self.dropped
    }

    /// The kept entries, without a marker (see `from_parts` to rebuild).
    pub fn into_kept(self) -> Vec<LogEntry> {
        self.entries.into_iter().map(|(e, _)| e).collect()
    }

    /// A section from entries kept elsewhere and what was dropped there.
    pub fn from_parts(entries: Vec<LogEntry>, dropped: Dropped, limit: usize) -> Self {
        let mut r = Retained::new(usize::MAX);
        for entry in entries {
            r.push_sized(entry);
        }
        r.limit = limit;
        r.dropped = dropped;
        r
    }

    /// Puts sections together in order (response, stdout, stderr) under the
    /// one cap: the oldest entries go first, and one marker at the front
    /// says how many went, from every section together.
    pub fn merge(sections: Vec<Retained>, limit: usize) -> Vec<LogEntry> {
        let mut all = Retained::new(limit);
        for section in sections {
            all.dropped.entries += section.dropped.entries;
            all.dropped.bytes += section.dropped.bytes;
            for (entry, size) in section.entries {
                all.push(entry, size);
            }
        }
        let mut out = Vec::with_capacity(all.entries.len() + 1);
        if all.dropped.entries > 0 {
            out.push(LogEntry::plain(
                LogSource::Stderr,
                LogLevel::Warn,
                format!(
                    "[alyx] {} earlier log entries ({} bytes) dropped: a call's logs are capped at {} bytes",
                    all.dropped.entries, all.dropped.bytes, limit
                ),
            ));
        }
        out.extend(all.entries.into_iter().map(|(e, _)| e));
        out
    }

    /// The entries of this section alone, with its marker if it dropped any.
    pub fn into_entries(self) -> Vec<LogEntry> {
        let limit = self.limit;
        Retained::merge(vec![self], limit)
    }
}

/// A response's `logs`, kept under the retention cap while they are read,
/// so a response with millions of entries never holds them all.
#[derive(Default)]
pub struct BoundedLogs(pub Option<Retained>);

impl<'de> serde::Deserialize<'de> for BoundedLogs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LogsVisitor)
    }
}

struct LogsVisitor;

impl<'de> serde::de::Visitor<'de> for LogsVisitor {
    type Value = BoundedLogs;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of log entries")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<BoundedLogs, A::Error> {
        let mut kept = Retained::new(RETAIN_BYTES);
        while let Some(item) = seq.next_element::<Value>()? {
            let entry = match item {
                Value::Object(obj) => log_from_object(obj, LogSource::Response),
                Value::String(s) => Some(LogEntry::plain(LogSource::Response, LogLevel::Info, s)),
                _ => None,
            };
            if let Some(entry) = entry {
                kept.push_sized(entry);
            }
        }
        Ok(BoundedLogs(Some(kept)))
    }
    // Anything but an array holds no logs.
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<BoundedLogs, A::Error> {
        while map.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {}
        Ok(BoundedLogs(None))
    }
    fn visit_unit<E>(self) -> Result<BoundedLogs, E> {
        Ok(BoundedLogs(None))
    }
    fn visit_bool<E>(self, _: bool) -> Result<BoundedLogs, E> {
        Ok(BoundedLogs(None))
    }
    fn visit_i64<E>(self, _: i64) -> Result<BoundedLogs, E> {
        Ok(BoundedLogs(None))
    }
    fn visit_u64<E>(self, _: u64) -> Result<BoundedLogs, E> {
        Ok(BoundedLogs(None))
    }
    fn visit_f64<E>(self, _: f64) -> Result<BoundedLogs, E> {
        Ok(BoundedLogs(None))
    }
    fn visit_str<E>(self, _: &str) -> Result<BoundedLogs, E> {
        Ok(BoundedLogs(None))
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
        let mut log = Retained::new(10);
        for i in 0..5 {
            log.push(LogEntry::plain(LogSource::Stderr, LogLevel::Info, format!("line{i}")), 6);
        }
        let out = log.into_entries();
        assert_eq!(out.len(), 2);
        assert!(out[0].message.contains("4 earlier log entries"), "{}", out[0].message);
        assert_eq!(out[1].message, "line4");
    }

    #[test]
    fn under_cap_has_no_marker() {
        let mut log = Retained::new(100);
        log.push(LogEntry::plain(LogSource::Stderr, LogLevel::Info, "a"), 2);
        let out = log.into_entries();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].message, "a");
    }

    #[test]
    fn sections_share_one_cap_and_one_marker() {
        let section = |n: usize, tag: &str| {
            let mut r = Retained::new(100);
            for i in 0..n {
                r.push(LogEntry::plain(LogSource::Stderr, LogLevel::Info, format!("{tag}{i}")), 10);
            }
            r
        };
        let out = Retained::merge(vec![section(20, "r"), section(5, "o"), section(5, "e")], 100);
        assert_eq!(out.len(), 11, "{out:?}");
        assert!(out[0].message.contains("20 earlier log entries"), "{}", out[0].message);
        assert_eq!(out[1].message, "o0");
        assert_eq!(out[10].message, "e4");
        assert_eq!(out.iter().filter(|e| e.message.starts_with("[alyx]")).count(), 1);
    }
}
