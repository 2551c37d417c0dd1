//! A string's JSON form, as `JSON.stringify` writes it: `"` and `\` escaped,
//! control characters as `\b \f \n \r \t` or `\u00xx`, everything else as
//! it is. For the long strings index.js leaves out of its JSON text
//! (lib/input-json.js): a 64 KiB step at a time, checked with `memchr` and a
//! vectorised fold, copied whole when it needs nothing.

/// Bytes of a string checked at a time: small enough to stay in cache
/// between the search for quotes and backslashes and the check for control
/// characters (also `protocol/span.rs`).
pub(crate) const STEP: usize = 64 * 1024;

/// Whether `bytes` hold a control character (below 0x20), which JSON
/// strings must escape. No early exit: the fold compiles to a vectorised
/// loop.
pub(crate) fn has_control(bytes: &[u8]) -> bool {
    bytes.iter().fold(false, |control, &b| control | (b < 0x20))
}

/// Appends the escaped form of `text` (UTF-8, without quotes) to `out`.
pub(crate) fn escape_into(out: &mut Vec<u8>, text: &[u8]) {
    for step in text.chunks(STEP) {
        let plain = memchr::memchr2(b'"', b'\\', step).is_none() && !has_control(step);
        if plain {
            out.extend_from_slice(step);
        } else {
            step.iter().for_each(|&b| escape_byte(out, b));
        }
    }
}

fn escape_byte(out: &mut Vec<u8>, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match byte {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0C => out.extend_from_slice(b"\\f"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        0..0x20 => {
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 15)]])
        }
        _ => out.push(byte),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(text: &str) -> String {
        let mut out = Vec::new();
        escape_into(&mut out, text.as_bytes());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn agrees_with_serde_json_on_every_byte_that_needs_escaping() {
        for text in ["plain", "q\"b\\s/", "\u{8}\u{c}\n\r\t\u{0}\u{1f}\u{7f}", "é😀\u{2028}"] {
            let serde = serde_json::to_string(text).unwrap();
            assert_eq!(format!("\"{}\"", escaped(text)), serde, "{text:?}");
        }
        let long = format!("{}\"{}", "x".repeat(STEP + 3), "y".repeat(STEP));
        assert_eq!(format!("\"{}\"", escaped(&long)), serde_json::to_string(&long).unwrap());
    }
}
