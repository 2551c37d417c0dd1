//! What a running function writes: stdout into one capped buffer, stderr
//! line by line into logs (redacted, streamed to `onLog`) and a tail for
//! error messages. Built by the pipeline, read by supervise, consumed by
//! classify.

use tokio::io::AsyncRead;

use super::redact::Redactor;
use super::supervise::OverCap;
use crate::logs::{parse_stderr_line, Retained, STDERR_RETAIN_BYTES};
use crate::outcome::LogEntry;
use crate::process::capture::{read_capped, read_lines, LineSink};

/// `onLog`: batches of entries, in order, as they arrive. The channel is
/// bounded, so a slow receiver slows the reading of stderr instead of
/// growing host memory (CONTRACT §14); its receiver sees the channel close
/// when the call is over, before the call's result is returned.
pub type LogSink = tokio::sync::mpsc::Sender<Vec<LogEntry>>;

/// Bytes of stdout/stderr quoted in an error's details.
pub(crate) const EXCERPT_BYTES: usize = 4096;

pub(crate) struct Capture {
    pub stdout: Vec<u8>,
    pub stderr: Retained,
    pub tail: Tail,
}

impl Capture {
    pub fn new() -> Self {
        Capture { stdout: Vec::new(), stderr: Retained::new(STDERR_RETAIN_BYTES), tail: Tail::new(EXCERPT_BYTES) }
    }

    /// One stderr line of the call: redacted, kept (under the cap) and in
    /// the tail; returns the entry, for `onLog`.
    pub fn stderr_line(&mut self, line: &str, raw_len: usize, redactor: &Redactor) -> LogEntry {
        stderr_entry(&mut self.stderr, &mut self.tail, line, raw_len, redactor)
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
        let lines = StderrLines { log, tail, redactor, on_log, batch: Vec::new() };
        let err = read_lines(stderr, STDERR_RETAIN_BYTES, redactor.secret().as_bytes(), lines);
        let out = async { read_capped(stdout, buf, max).await.map_err(|_| OverCap) };
        tokio::try_join!(out, async {
            err.await;
            Ok(())
        })
        .map(|_| ())
    }
}

/// `Capture::stderr_line` on the parts (for a reader that holds `stdout`).
pub(crate) fn stderr_entry(
    log: &mut Retained,
    tail: &mut Tail,
    line: &str,
    raw_len: usize,
    redactor: &Redactor,
) -> LogEntry {
    let line = redactor.text(line);
    tail.push(&line);
    let entry = parse_stderr_line(&line);
    log.push(entry.clone(), raw_len);
    entry
}

/// Each stderr line: redacted, kept (under the cap), in the tail, and
/// batched for `onLog` (sent after each read).
struct StderrLines<'a> {
    log: &'a mut Retained,
    tail: &'a mut Tail,
    redactor: &'a Redactor,
    on_log: Option<&'a LogSink>,
    batch: Vec<LogEntry>,
}

impl LineSink for StderrLines<'_> {
    fn line(&mut self, line: &str, raw_len: usize) {
        let line = self.redactor.text(line);
        self.tail.push(&line);
        // Redacted again once parsed: a structured line may carry the token
        // JSON-escaped, or in its timestamp or data (crate::redact).
        let entry = self.redactor.log(parse_stderr_line(&line));
        if self.on_log.is_some() {
            self.batch.push(entry.clone());
        }
        self.log.push(entry, raw_len);
    }

    async fn chunk_done(&mut self) {
        if let (Some(sink), false) = (self.on_log, self.batch.is_empty()) {
            // A receiver that is gone only means nobody listens any more.
            let _ = sink.send(std::mem::take(&mut self.batch)).await;
        }
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

    /// The line that best says what went wrong: the last one that looks
    /// like an error (`Error:`, `Exception`, `Traceback`, `panic:`, `fatal`),
    /// else the last non-empty one.
    pub fn telling_line(&self) -> Option<&str> {
        let lines = || self.text.lines().rev().map(str::trim).filter(|l| !l.is_empty());
        lines().find(|l| is_telling(l)).or_else(|| lines().next())
    }
}

fn is_telling(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    line.starts_with("Traceback")
        || lower.starts_with("panic:")
        || lower.starts_with("fatal")
        || lower.starts_with("thread '") && lower.contains("panicked")
        || line.split_whitespace().next().is_some_and(|w| w.ends_with("Error:") || w.ends_with("Exception:"))
        || lower.starts_with("error")
}
