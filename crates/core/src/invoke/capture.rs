//! What a running function writes: stdout into one capped buffer, stderr
//! line by line into logs (redacted, streamed to `onLog`) and a tail for
//! error messages. Built by the pipeline, read by supervise, consumed by
//! classify.

use std::sync::Arc;

use tokio::io::AsyncRead;

use super::redact::Redactor;
use super::supervise::OverCap;
use crate::logs::{parse_stderr_line, StderrLog, STDERR_RETAIN_BYTES};
use crate::outcome::LogEntry;
use crate::process::capture::{read_capped, read_lines};

pub type LogSink = Arc<dyn Fn(&LogEntry) + Send + Sync>;

/// Bytes of stdout/stderr quoted in an error's details.
pub(crate) const EXCERPT_BYTES: usize = 4096;

pub(crate) struct Capture {
    pub stdout: Vec<u8>,
    pub stderr: StderrLog,
    pub tail: Tail,
}

impl Capture {
    pub fn new() -> Self {
        Capture { stdout: Vec::new(), stderr: StderrLog::new(STDERR_RETAIN_BYTES), tail: Tail::new(EXCERPT_BYTES) }
    }

    /// Reads both pipes to their end; fails as soon as stdout passes `max`.
    pub async fn read(
        &mut self,
        stdout: impl AsyncRead + Unpin,
        stderr: impl AsyncRead + Unpin,
        max: usize,
        on_log: Option<&LogSink>,
        redactor: &Redactor,
    ) -> Result<(), OverCap> {
        let Capture { stdout: buf, stderr: log, tail } = self;
        let err = read_lines(stderr, STDERR_RETAIN_BYTES, redactor.secret().as_bytes(), |line, raw_len| {
            let line = redactor.text(line);
            tail.push(&line);
            // Redacted again once parsed: a structured line may carry the token
            // JSON-escaped, or in its timestamp or data (crate::redact).
            let entry = redactor.log(parse_stderr_line(&line));
            if let Some(sink) = on_log {
                sink(&entry);
            }
            log.push(entry, raw_len);
        });
        let out = async { read_capped(stdout, buf, max).await.map_err(|_| OverCap) };
        tokio::try_join!(out, async {
            err.await;
            Ok(())
        })
        .map(|_| ())
    }
}

/// The last few KiB of stderr, for error messages.
pub(crate) struct Tail {
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

    pub fn text(&self) -> String {
        let mut cut = self.text.len().saturating_sub(self.limit);
        while !self.text.is_char_boundary(cut) {
            cut += 1;
        }
        self.text[cut..].to_string()
    }

    pub fn last_line(&self) -> Option<&str> {
        self.text.lines().rev().find(|l| !l.trim().is_empty())
    }
}
