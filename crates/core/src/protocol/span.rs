//! A large response's `output`, found and checked in one fast pass, so serde
//! parses only the envelope around it (CONTRACT §4.2). serde_json scans a
//! string 8 bytes at a time: ~60 ms for a 100 MB output here; `memchr` and a
//! vectorised check of each chunk, while it is in cache, take a fraction.
//!
//! The scanner only ever says "valid" for text serde_json also accepts; on
//! anything it is unsure of (any invalid JSON, an escaped key, a second
//! `output`) it says nothing and serde decides, as for a small response.

use crate::json_escape::{has_control, STEP};

/// Responses from this size on take the fast path.
pub(crate) const FAST_FROM: usize = 1 << 20;

/// For a response that is one valid JSON object nested at most `max_depth`
/// deep: the byte range of its top-level `output` value (`None` when it has
/// none). `None` overall when serde must decide.
pub(crate) fn output_span(doc: &[u8], max_depth: usize) -> Option<Option<(usize, usize)>> {
    let mut scan = Scan { doc, at: 0, depth_left: max_depth, non_ascii: false };
    let mut output = None;
    scan.space();
    scan.object(&mut |key, start, end| match key {
        b"output" if output.is_some() => None,
        b"output" => {
            output = Some((start, end));
            Some(())
        }
        _ => Some(()),
    })?;
    scan.space();
    if scan.at != doc.len() {
        return None;
    }
    // The output is kept as text, so it must be UTF-8 (serde checks the
    // envelope's strings when it parses them). Outside strings JSON is ASCII.
    if let Some((start, end)) = output.filter(|_| scan.non_ascii) {
        std::str::from_utf8(&doc[start..end]).ok()?;
    }
    Some(output)
}

struct Scan<'a> {
    doc: &'a [u8],
    at: usize,
    /// Levels of nesting still allowed (a deeper text goes to serde, which
    /// rejects it: `nesting_depth`).
    depth_left: usize,
    /// Whether a string so far had a byte above 0x7F.
    non_ascii: bool,
}

/// Called with each member's key (unescaped keys only) and value range.
type OnMember<'f> = dyn FnMut(&[u8], usize, usize) -> Option<()> + 'f;

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.doc.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek() == Some(byte)).then(|| self.at += 1)
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => self.object(&mut |_, _, _| Some(())),
            b'[' => self.array(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn object(&mut self, on_member: &mut OnMember<'_>) -> Option<()> {
        self.sequence(b'{', b'}', &mut |scan| scan.member(on_member))
    }

    /// `"key": value`, with the value's range for `on_member`.
    fn member(&mut self, on_member: &mut OnMember<'_>) -> Option<()> {
        let (doc, key_at) = (self.doc, self.at);
        if self.peek()? != b'"' || self.string()? {
            // Not a string, or an escaped key serde may read as `output`.
            return None;
        }
        let key = &doc[key_at + 1..self.at - 1];
        self.space();
        self.eat(b':')?;
        self.space();
        let start = self.at;
        self.value()?;
        on_member(key, start, self.at)
    }

    fn array(&mut self) -> Option<()> {
        self.sequence(b'[', b']', &mut |scan| scan.value())
    }

    /// `open close`, or `open item (, item)* close`: one level deeper.
    fn sequence(&mut self, open: u8, close: u8, item: &mut dyn FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(open)?;
        self.depth_left = self.depth_left.checked_sub(1)?;
        self.space();
        if self.eat(close).is_none() {
            loop {
                item(self)?;
                self.space();
                if self.eat(close).is_some() {
                    break;
                }
                self.eat(b',')?;
                self.space();
            }
        }
        self.depth_left += 1;
        Some(())
    }

    /// A string, the cursor on its opening quote; whether it has escapes.
    /// UTF-8 is not checked here (serde checks the envelope, the caller the
    /// output).
    fn string(&mut self) -> Option<bool> {
        self.at += 1;
        let mut escaped = false;
        loop {
            let end = self.doc.len().min(self.at + STEP);
            let chunk = &self.doc[self.at..end];
            let stop = memchr::memchr2(b'"', b'\\', chunk);
            let plain = &chunk[..stop.unwrap_or(chunk.len())];
            if has_control(plain) {
                return None;
            }
            // No early exit: a vectorised loop, like `has_control`.
            self.non_ascii |= plain.iter().fold(0u8, |bits, &b| bits | b) > 0x7F;
            self.at += plain.len();
            match stop {
                None if end == self.doc.len() => return None,
                None => continue,
                Some(_) if self.doc[self.at] == b'"' => {
                    self.at += 1;
                    return Some(escaped);
                }
                Some(_) => {
                    escaped = true;
                    self.escape()?;
                }
            }
        }
    }

    /// An escape, the cursor on its backslash.
    fn escape(&mut self) -> Option<()> {
        self.at += 1;
        match self.peek()? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.at += 1,
            b'u' => {
                let hex = self.doc.get(self.at + 1..self.at + 5)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                self.at += 5;
            }
            _ => return None,
        }
        Some(())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.doc[self.at..].starts_with(word).then(|| self.at += word.len())
    }

    fn number(&mut self) -> Option<()> {
        let _ = self.eat(b'-');
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => self.digits()?,
            _ => return None,
        }
        if self.eat(b'.').is_some() {
            self.digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            self.digits()?;
        }
        Some(())
    }

    /// One digit or more.
    fn digits(&mut self) -> Option<()> {
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        (self.at > start).then_some(())
    }
}

#[cfg(test)]
#[path = "span_tests.rs"]
mod tests;
