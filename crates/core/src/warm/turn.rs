//! One call's turn on a worker's pipes (docs/PROTOCOL.md, "Worker
//! protocol"): the request line in, stdout lines up to the response, stderr
//! lines up to the end marker; and how protocol lines are recognised.

use serde::Deserialize;
use tokio::process::{ChildStderr, ChildStdin, ChildStdout};

use super::lines::{Line, LineReader};
use crate::invoke::capture::{stderr_entry, Capture, LogSink};
use crate::invoke::plan::RequestParts;
use crate::invoke::redact::Redactor;
use crate::invoke::supervise::OverCap;
use crate::logs::STDERR_RETAIN_BYTES;

#[derive(Deserialize)]
pub(super) struct Probe {
    pub alyx: Option<String>,
    pub success: Option<bool>,
    pub request_id: Option<String>,
}

/// What a protocol line says, when it is one.
pub(super) fn probe(line: &[u8]) -> Option<Probe> {
    let trimmed = line.trim_ascii();
    if trimmed.first() != Some(&b'{') {
        return None;
    }
    serde_json::from_slice::<Probe>(trimmed).ok()
}

/// The pipes' side of one turn: request in; stdout lines to the response
/// (`foreign` set when it names another call); stderr lines to the marker.
/// At the end of stdout it waits for ever: the process's exit ends the turn.
#[allow(clippy::too_many_arguments)]
pub(super) async fn turn_io(
    stdin: &mut Option<ChildStdin>,
    stdout: &mut LineReader<ChildStdout>,
    stderr: &mut LineReader<ChildStderr>,
    request: RequestParts,
    request_id: &str,
    max_output: usize,
    on_log: Option<&LogSink>,
    redactor: &Redactor,
    capture: &mut Capture,
    (foreign, answered): (&mut Option<String>, &mut bool),
) -> Result<(), OverCap> {
    let write = async {
        if let Some(pipe) = stdin.as_mut() {
            let _ = request.write_to(pipe).await;
        }
    };
    let Capture { stdout: out_buf, stderr: log, tail } = capture;
    let out = async {
        loop {
            let Some(line) = stdout.next(max_output.saturating_add(1)).await else {
                return std::future::pending().await;
            };
            let Line::Whole(line) = line else { return Err(OverCap) };
            if out_buf.len() + line.len() > max_output {
                return Err(OverCap);
            }
            if let Some(p) = probe(&line).filter(|p| p.success.is_some()) {
                if p.request_id.as_deref() != Some(request_id) {
                    *foreign = Some(p.request_id.unwrap_or_default());
                }
                *answered = true;
                out_buf.extend_from_slice(&line);
                return Ok(());
            }
            out_buf.extend_from_slice(&line);
            out_buf.push(b'\n');
        }
    };
    let err = async {
        let mut batch = Vec::new();
        loop {
            let Some(line) = stderr.next(STDERR_RETAIN_BYTES).await else {
                return std::future::pending().await;
            };
            let marker = match &line {
                Line::Whole(l) => end_marker_at(l),
                _ => None,
            };
            // A marker after unfinished text (a print without newline, Go,
            // Deno): the text before it is the call's last log line.
            let logged = &line.bytes()[..marker.unwrap_or(line.bytes().len())];
            if marker.is_none() || !logged.trim_ascii().is_empty() {
                let text = String::from_utf8_lossy(logged);
                let entry = stderr_entry(log, tail, &text, logged.len() + 1, redactor);
                if let Some(sink) = on_log {
                    batch.push(entry);
                    // Sent once no further line is already buffered: live, batched.
                    if marker.is_none() && !stderr.has_line() {
                        let _ = sink.send(std::mem::take(&mut batch)).await;
                    }
                }
            }
            if marker.is_some() {
                if let (Some(sink), false) = (on_log, batch.is_empty()) {
                    let _ = sink.send(batch).await;
                }
                return Ok::<(), OverCap>(());
            }
        }
    };
    let (_, done) = tokio::join!(write, async { tokio::try_join!(out, err) });
    done.map(|_| ())
}

/// Where the end marker `{"alyx":"end",…}` starts in a stderr line: the
/// whole line, or its end after other text (a `{"alyx"` cannot occur inside
/// a JSON string: its quote would be escaped).
fn end_marker_at(line: &[u8]) -> Option<usize> {
    const KEY: &[u8] = b"\"alyx\"";
    let trimmed = line.trim_ascii_end();
    if trimmed.last() != Some(&b'}') {
        return None;
    }
    let key = trimmed.windows(KEY.len()).rposition(|w| w == KEY)?;
    let open = trimmed[..key].iter().rposition(|b| !b.is_ascii_whitespace()).filter(|&i| trimmed[i] == b'{')?;
    probe(&trimmed[open..]).filter(|p| p.alyx.as_deref() == Some("end")).map(|_| open)
}

#[cfg(test)]
mod tests {
    use super::end_marker_at;

    #[test]
    fn the_end_marker_is_found_alone_or_after_unfinished_text() {
        assert_eq!(end_marker_at(br#"{"alyx":"end","request_id":"r"}"#), Some(0));
        assert_eq!(end_marker_at(br#"  { "alyx": "end", "request_id": "r" }  "#), Some(2));
        assert_eq!(end_marker_at(br#"progress...{"alyx":"end","request_id":"r{1}"}"#), Some(11));
        assert_eq!(end_marker_at(br#"{"level":"info","message":"{"alyx":"end"}"}"#), None);
        assert_eq!(end_marker_at(br#"{"alyx":"ready"}"#), None);
        assert_eq!(end_marker_at(b"plain text"), None);
    }
}
