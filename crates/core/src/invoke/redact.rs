//! The call's redactor: every string a function can put into the result
//! passes through it in the classify stage (and stderr lines as they are
//! read, before `onLog` sees them). The rules themselves (plain and
//! JSON-escaped forms of the token) are in `crate::redact`.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::outcome::{ErrorInfo, LogEntry};

/// The secret of one call; an empty secret redacts nothing.
#[derive(Debug, Clone, Default)]
pub(crate) struct Redactor {
    secret: String,
}

impl Redactor {
    pub fn new(secret: impl Into<String>) -> Self {
        Redactor { secret: secret.into() }
    }

    pub fn secret(&self) -> &str {
        &self.secret
    }

    pub fn text<'a>(&self, s: &'a str) -> Cow<'a, str> {
        crate::redact::text(s, &self.secret)
    }

    pub fn log(&self, log: LogEntry) -> LogEntry {
        crate::redact::log(log, &self.secret)
    }

    /// A function may echo its token in its own error: it is redacted too.
    pub fn error(&self, error: ErrorInfo) -> ErrorInfo {
        crate::redact::error(error, &self.secret)
    }

    #[allow(dead_code)]
    pub fn map(&self, map: Map<String, Value>) -> Map<String, Value> {
        crate::redact::map(map, &self.secret)
    }
}
