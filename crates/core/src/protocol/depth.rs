//! How deep a response nests (CONTRACT §14): bounded before serde parses
//! it, then parsed without serde's own 128-level limit.

use serde::Deserialize;

/// serde_json stops at 128 levels; the depth was bounded by `nesting_depth`
/// first, and `serde_stacker` grows the stack as the parse recurses.
pub(crate) fn from_slice_deep<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> serde_json::Result<T> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    de.disable_recursion_limit();
    let value = T::deserialize(serde_stacker::Deserializer::new(&mut de))?;
    de.end()?;
    Ok(value)
}

/// The deepest `[`/`{` nesting of a JSON text, strings skipped. Not a
/// validator: it only bounds the work of the real parse. Strings are
/// skipped with `memchr` (a 100 MB string is a few ms, not a byte loop).
pub fn nesting_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = string_end(bytes, i + 1),
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    max
}

/// The index of the quote closing a string whose text starts at `from`
/// (or the end of `bytes`), escapes skipped.
fn string_end(bytes: &[u8], mut from: usize) -> usize {
    while let Some(at) = memchr::memchr2(b'"', b'\\', &bytes[from.min(bytes.len())..]) {
        let at = from + at;
        if bytes[at] == b'"' {
            return at;
        }
        from = at + 2;
    }
    bytes.len()
}
