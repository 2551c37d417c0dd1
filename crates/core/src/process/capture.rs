//! Draining a function's stdout (capped) and stderr (line by line).

use tokio::io::{AsyncRead, AsyncReadExt};

const CHUNK: usize = 64 * 1024;

/// stdout passed the cap; reading stopped there.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct OverCap;

/// Reads to EOF into `buf`, failing as soon as it holds more than `cap`
/// bytes. The caller owns `buf`, so whatever arrived survives the read being
/// abandoned (a descendant holding the pipe open past the drain time).
pub(crate) async fn read_capped<R: AsyncRead + Unpin>(
    mut reader: R,
    buf: &mut Vec<u8>,
    cap: usize,
) -> Result<(), OverCap> {
    loop {
        // Amortised doubling: a 100 MB response costs ~log2 reallocations.
        buf.reserve(CHUNK);
        match reader.read_buf(buf).await {
            Ok(0) | Err(_) => return Ok(()),
            Ok(_) if buf.len() > cap => return Err(OverCap),
            Ok(_) => {}
        }
    }
}

/// Where `read_lines` delivers lines: `line` for each, `chunk_done` after
/// each read (a sink may wait there: that is back-pressure on the pipe).
pub(crate) trait LineSink {
    fn line(&mut self, line: &str, raw_len: usize);
    fn chunk_done(&mut self) -> impl std::future::Future<Output = ()> + Send + '_ {
        std::future::ready(())
    }
}

impl<F: FnMut(&str, usize)> LineSink for F {
    fn line(&mut self, line: &str, raw_len: usize) {
        self(line, raw_len)
    }
}

/// Calls `sink.line` for each line (without its `\n`/`\r\n`), as soon as it
/// is complete. A line longer than `max_line` is delivered in pieces, so one
/// endless line cannot grow memory without bound. `secret` (if not empty)
/// is redacted before a long line is cut, so a cut can never split it into
/// halves that each escape redaction.
pub(crate) async fn read_lines<R, S>(mut reader: R, max_line: usize, secret: &[u8], mut sink: S)
where
    R: AsyncRead + Unpin,
    S: LineSink,
{
    let on_line = &mut sink;
    let mut pending: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let n = match reader.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut rest = &chunk[..n];
        while let Some(pos) = rest.iter().position(|&b| b == b'\n') {
            pending.extend_from_slice(&rest[..pos]);
            emit(&mut pending, on_line);
            rest = &rest[pos + 1..];
        }
        pending.extend_from_slice(rest);
        // Cut only with a secret's longest (escaped) form to spare past the
        // cut: one straddling it then lies wholly in `pending` and is
        // redacted first.
        let spare = secret.len() * crate::redact::ESCAPED_WIDTH;
        while pending.len() > max_line + spare {
            redact_bytes(&mut pending, secret);
            if pending.len() <= max_line + spare {
                break;
            }
            let tail = pending.split_off(max_line);
            emit(&mut pending, on_line);
            pending = tail;
        }
        on_line.chunk_done().await;
    }
    if !pending.is_empty() {
        emit(&mut pending, on_line);
    }
    sink.chunk_done().await;
}

/// Replaces every `secret` in `buf` (plain or JSON-escaped) with `[redacted]`.
fn redact_bytes(buf: &mut Vec<u8>, secret: &[u8]) {
    if let std::borrow::Cow::Owned(clean) = crate::redact::bytes(buf, secret) {
        *buf = clean;
    }
}

fn emit<S: LineSink>(pending: &mut Vec<u8>, sink: &mut S) {
    let raw_len = pending.len() + 1;
    if pending.last() == Some(&b'\r') {
        pending.pop();
    }
    sink.line(&String::from_utf8_lossy(pending), raw_len);
    pending.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn capped_read_returns_everything_under_the_cap() {
        let data = vec![7u8; 300_000];
        let mut buf = Vec::new();
        read_capped(&data[..], &mut buf, 300_000).await.unwrap();
        assert_eq!(buf.len(), 300_000);
        assert_eq!(read_capped(&data[..], &mut Vec::new(), 299_999).await, Err(OverCap));
        let mut empty = Vec::new();
        read_capped(&b""[..], &mut empty, 0).await.unwrap();
        assert!(empty.is_empty());
    }

    #[tokio::test]
    async fn lines_split_on_newline_and_crlf() {
        let mut got = Vec::new();
        read_lines(&b"a\r\nb\n\nlast"[..], 100, b"", |l: &str, _: usize| got.push(l.to_string())).await;
        assert_eq!(got, ["a", "b", "", "last"]);
    }

    #[tokio::test]
    async fn overlong_line_is_delivered_in_pieces() {
        let data = vec![b'x'; 250];
        let mut got = Vec::new();
        read_lines(&data[..], 100, b"", |l: &str, _: usize| got.push(l.len())).await;
        assert_eq!(got, [100, 100, 50]);
    }

    #[tokio::test]
    async fn a_cut_never_splits_the_secret() {
        for at in 90..=101 {
            let mut line = vec![b'x'; 250];
            line.splice(at..at + 6, b"SECRET".iter().copied());
            let mut pieces = Vec::new();
            read_lines(&line[..], 100, b"SECRET", |l: &str, _: usize| pieces.push(l.to_string())).await;
            let joined = pieces.concat();
            assert!(!joined.contains("SECRET") && joined.contains("[redacted]"), "secret at {at}: {pieces:?}");
            assert!(pieces.iter().all(|p| !p.ends_with("SEC") && !p.starts_with("RET")), "secret at {at}: {pieces:?}");
        }
    }
}
