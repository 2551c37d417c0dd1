//! A call's input on its way to the function: JSON text on one line (a
//! worker reads one request per line, docs/PROTOCOL.md "Worker protocol").

use serde_json::value::RawValue;

use crate::outcome::{Code, ErrorInfo};

/// What [`crate::Runtime::invoke`] takes as the call's input: JSON text.
pub struct Input(Source);

enum Source {
    /// Text to check: parsed once.
    Text(String),
    /// A serializer's output: only its UTF-8 is checked.
    Serialized(Vec<u8>),
    /// A serializer's output with long strings left out: JSON text, a
    /// string to escape, JSON text, …, JSON text.
    Parts(Vec<Vec<u8>>),
}

impl Input {
    /// JSON text from a serializer that only writes valid JSON on one line
    /// (V8's `JSON.stringify` without indentation, as index.js calls it):
    /// not parsed again, which costs ~0.5 ms per MB (BENCHMARKS.md, "Payload
    /// round trip"). Any other text reaches the function as it is. Its
    /// UTF-8 is checked here, on the worker thread (`INVALID_INPUT`), so
    /// a host can hand over its bytes unchecked.
    pub fn serialized(json: Vec<u8>) -> Input {
        Input(Source::Serialized(json))
    }

    /// [`Input::serialized`] text with long strings left out between their
    /// quotes (lib/input-json.js): `parts` alternate JSON text and the UTF-8
    /// of a string, which is escaped here, on the worker thread, as
    /// `JSON.stringify` would have (`json_escape.rs`).
    pub fn serialized_parts(parts: Vec<Vec<u8>>) -> Input {
        Input(Source::Parts(parts))
    }
}

impl From<String> for Input {
    fn from(text: String) -> Input {
        Input(Source::Text(text))
    }
}

impl From<&str> for Input {
    fn from(text: &str) -> Input {
        Input::from(text.to_string())
    }
}

/// Input that is valid JSON on one line; blank input is `null`.
#[derive(Debug)]
pub(crate) struct JsonInput(String);

impl JsonInput {
    /// Checks `input` (unless a serializer made it); `INVALID_INPUT` if it
    /// is not JSON. Line breaks between tokens become spaces: JSON holds
    /// them nowhere else, so the value is unchanged.
    pub fn check(input: Input) -> Result<JsonInput, ErrorInfo> {
        let not_utf8 =
            |e: std::string::FromUtf8Error| ErrorInfo::new(Code::InvalidInput, format!("input is not UTF-8: {e}"));
        let text = match input.0 {
            Source::Serialized(json) => return String::from_utf8(json).map(JsonInput).map_err(not_utf8),
            Source::Parts(parts) => return String::from_utf8(joined(parts)).map(JsonInput).map_err(not_utf8),
            Source::Text(text) => text,
        };
        let text = if text.trim().is_empty() { "null".to_string() } else { text };
        let raw = RawValue::from_string(text)
            .map_err(|e| ErrorInfo::new(Code::InvalidInput, format!("input is not valid JSON: {e}")))?;
        let mut text = String::from(Box::<str>::from(raw));
        if memchr::memchr2(b'\n', b'\r', text.as_bytes()).is_some() {
            text = text.replace(['\n', '\r'], " ");
        }
        Ok(JsonInput(text))
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    #[cfg(test)]
    pub fn of(json: &str) -> JsonInput {
        JsonInput::check(json.into()).expect("valid JSON")
    }
}

/// The JSON text of `parts`: text as it is, strings (odd places) escaped.
fn joined(parts: Vec<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(Vec::len).sum::<usize>() + 64);
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 0 {
            out.extend_from_slice(part);
        } else {
            crate::json_escape::escape_into(&mut out, part);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_is_checked_unless_a_serializer_made_it() {
        assert_eq!(JsonInput::check("{\"a\": [1,\n 2]\r\n}".into()).unwrap().as_bytes(), b"{\"a\": [1,  2]  }");
        assert_eq!(JsonInput::check("  ".into()).unwrap().as_bytes(), b"null");
        let bad = JsonInput::check("{nope".into()).unwrap_err();
        assert_eq!(bad.code, Code::InvalidInput.as_str());
        assert!(bad.message.starts_with("input is not valid JSON"), "{}", bad.message);
        assert_eq!(JsonInput::check(Input::serialized(b"[1]".to_vec())).unwrap().as_bytes(), b"[1]");
        let not_utf8 = JsonInput::check(Input::serialized(b"\"\xff\"".to_vec())).unwrap_err();
        assert!(not_utf8.message.starts_with("input is not UTF-8"), "{}", not_utf8.message);
        let parts = vec![b"{\"a\":\"".to_vec(), b"x\"y\n".to_vec(), b"\",\"b\":1}".to_vec()];
        assert_eq!(JsonInput::check(Input::serialized_parts(parts)).unwrap().as_bytes(), br#"{"a":"x\"y\n","b":1}"#);
    }
}
