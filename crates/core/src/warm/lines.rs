//! Lines from a worker's pipe, read across calls: what was read past one
//! call's last line stays buffered for the next (CONTRACT §10, rule 3).

use tokio::io::{AsyncRead, AsyncReadExt};

const CHUNK: usize = 64 * 1024;

/// One line, without its `\n` / `\r\n`.
pub(crate) enum Line {
    /// A whole line.
    Whole(Vec<u8>),
    /// The first `max` bytes of a line longer than `max`; the rest follows.
    Piece(Vec<u8>),
}

impl Line {
    pub fn bytes(&self) -> &[u8] {
        match self {
            Line::Whole(b) | Line::Piece(b) => b,
        }
    }
}

pub(crate) struct LineReader<R> {
    reader: R,
    buf: Vec<u8>,
    /// Bytes of `buf` already searched for a newline.
    scanned: usize,
    eof: bool,
}

impl<R: AsyncRead + Unpin> LineReader<R> {
    pub fn new(reader: R) -> Self {
        LineReader { reader, buf: Vec::new(), scanned: 0, eof: false }
    }

    /// The pipe back, for a reader that never read (a standby process).
    pub fn into_inner(self) -> R {
        debug_assert!(self.buf.is_empty());
        self.reader
    }

    /// True when a whole line is already buffered (no read needed).
    pub fn has_line(&self) -> bool {
        self.buf[self.scanned..].contains(&b'\n')
    }

    /// The next line, or None at the end of the pipe. A line longer than
    /// `max` comes in pieces, so memory stays bounded. Cancel-safe: a read
    /// abandoned half way keeps what it read.
    pub async fn next(&mut self, max: usize) -> Option<Line> {
        loop {
            let newline = self.buf[self.scanned..].iter().position(|&b| b == b'\n');
            if let Some(end) = newline.map(|pos| self.scanned + pos).filter(|end| *end <= max) {
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                self.scanned = 0;
                return Some(Line::Whole(line));
            }
            self.scanned = self.buf.len();
            if self.buf.len() > max {
                // Longer than `max`, whether or not its end is here.
                let piece: Vec<u8> = self.buf.drain(..max).collect();
                self.scanned = 0;
                return Some(Line::Piece(piece));
            }
            if self.eof {
                return (!self.buf.is_empty()).then(|| {
                    self.scanned = 0;
                    Line::Whole(std::mem::take(&mut self.buf))
                });
            }
            self.buf.reserve(CHUNK);
            match self.reader.read_buf(&mut self.buf).await {
                Ok(0) | Err(_) => self.eof = true,
                Ok(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_survive_across_reads_and_long_ones_come_in_pieces() {
        let data = b"a\r\nbb\n".iter().chain([b'x'; 25].iter()).chain(b"\ntail".iter()).copied().collect::<Vec<_>>();
        let mut r = LineReader::new(&data[..]);
        let mut got = Vec::new();
        while let Some(line) = r.next(10).await {
            let kind = if matches!(line, Line::Whole(_)) { "w" } else { "p" };
            got.push(format!("{kind}:{}", String::from_utf8_lossy(line.bytes())));
        }
        assert_eq!(got, ["w:a", "w:bb", "p:xxxxxxxxxx", "p:xxxxxxxxxx", "w:xxxxx", "w:tail"]);
    }
}
