//! Keeping a call's internal token out of everything the result carries
//! (CONTRACT §7, §14): every string of its logs (message, timestamp, data,
//! keys included) and of its error (code, message, details, excerpts), as
//! written or in a JSON-escaped form (`\u0063…`) that a reader would decode
//! into the token. The function's `output` is its answer and is not touched.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::outcome::{ErrorInfo, LogEntry};

pub const REDACTED: &str = "[redacted]";

/// The longest form one byte of a secret can take (`\u0063`): a text cut
/// into pieces keeps this many times the secret's length to spare.
pub const ESCAPED_WIDTH: usize = 6;

/// Redacts every occurrence of `secret` in `text`, plain or JSON-escaped.
pub fn text<'a>(text: &'a str, secret: &str) -> Cow<'a, str> {
    match bytes(text.as_bytes(), secret.as_bytes()) {
        Cow::Borrowed(_) => Cow::Borrowed(text),
        // Only whole ASCII runs were replaced by ASCII: still UTF-8.
        Cow::Owned(buf) => Cow::Owned(String::from_utf8(buf).expect("UTF-8 preserved")),
    }
}

/// [`text`] on raw bytes (a pipe's contents, not yet known to be UTF-8).
pub fn bytes<'a>(s: &'a [u8], secret: &[u8]) -> Cow<'a, [u8]> {
    if secret.is_empty() || !s.iter().any(|&b| b == secret[0] || b == b'\\') {
        return Cow::Borrowed(s);
    }
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < s.len() {
        match match_at(s, i, secret) {
            Some(end) => {
                let buf = out.get_or_insert_with(|| Vec::with_capacity(s.len()));
                buf.extend_from_slice(&s[copied..i]);
                buf.extend_from_slice(REDACTED.as_bytes());
                copied = end;
                i = end;
            }
            None => i += 1,
        }
    }
    match out {
        None => Cow::Borrowed(s),
        Some(mut buf) => {
            buf.extend_from_slice(&s[copied..]);
            Cow::Owned(buf)
        }
    }
}

/// Where a match of `token` starting at `start` ends, each of its bytes
/// either as is or as a `\uXXXX` escape (hex digits of any case).
fn match_at(s: &[u8], start: usize, token: &[u8]) -> Option<usize> {
    let mut p = start;
    for &want in token {
        if s.get(p) == Some(&want) {
            p += 1;
        } else if s.get(p) == Some(&b'\\') && s.get(p + 1) == Some(&b'u') {
            let hex = std::str::from_utf8(s.get(p + 2..p + 6)?).ok()?;
            (u32::from_str_radix(hex, 16).ok()? == u32::from(want)).then_some(())?;
            p += 6;
        } else {
            return None;
        }
    }
    Some(p)
}

fn in_place(s: &mut String, secret: &str) {
    if let Cow::Owned(clean) = text(s, secret) {
        *s = clean;
    }
}

/// Redacts every string of a JSON value, object keys included.
pub fn value(v: &mut Value, secret: &str) {
    match v {
        Value::String(s) => in_place(s, secret),
        Value::Array(items) => items.iter_mut().for_each(|item| value(item, secret)),
        Value::Object(map) => *map = self::map(std::mem::take(map), secret),
        _ => {}
    }
}

pub fn map(map: Map<String, Value>, secret: &str) -> Map<String, Value> {
    map.into_iter()
        .map(|(mut k, mut v)| {
            in_place(&mut k, secret);
            value(&mut v, secret);
            (k, v)
        })
        .collect()
}

pub fn log(mut log: LogEntry, secret: &str) -> LogEntry {
    in_place(&mut log.message, secret);
    if let Some(ts) = &mut log.timestamp {
        in_place(ts, secret);
    }
    log.data = log.data.map(|d| map(d, secret));
    log
}

/// A function may echo its token in its own error: it is redacted too.
pub fn error(mut error: ErrorInfo, secret: &str) -> ErrorInfo {
    in_place(&mut error.code, secret);
    in_place(&mut error.message, secret);
    error.details = error.details.map(|d| map(d, secret));
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "c0ffee";

    #[test]
    fn plain_and_escaped_forms_are_redacted() {
        let cases = [
            ("token c0ffee here", "token [redacted] here"),
            ("\\u0063\\u0030ffee", "[redacted]"),
            ("c0\\u0066F\\u0065e", "c0\\u0066F\\u0065e"),
            ("c\\u0030\\u0066\\u0046ee", "c\\u0030\\u0066\\u0046ee"),
            ("c\\u0030\\u0066\\u0066\\u0065\\u0065!", "[redacted]!"),
            ("\\u0043\\u0030ffee", "\\u0043\\u0030ffee"),
            ("C0FFEE", "C0FFEE"),
            ("c0ffeec0ffee", "[redacted][redacted]"),
            ("é c0ffee ü", "é [redacted] ü"),
            ("\\u00", "\\u00"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(text(input, T), want, "{input}");
        }
    }

    #[test]
    fn every_string_of_a_log_is_redacted() {
        let mut data = Map::new();
        data.insert(format!("k-{T}"), serde_json::json!({ "deep": [format!("v {T}")] }));
        let entry = LogEntry {
            level: crate::outcome::LogLevel::Info,
            message: format!("m {T}"),
            data: Some(data),
            timestamp: Some(T.into()),
            source: crate::outcome::LogSource::Response,
        };
        let clean = serde_json::to_string(&log(entry, T)).unwrap();
        assert!(!clean.contains(T), "{clean}");
    }
}
