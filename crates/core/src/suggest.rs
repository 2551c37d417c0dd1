//! "Did you mean …?": the closest known name to a misspelt one, for the
//! messages about unknown manifest keys (docs/MANIFEST.md).

/// The candidate closest to `word`, if it is close enough to be a likely
/// typo (`timeot` → `timeout`, `entry_point` → `entrypoint`), else `None`.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let folded = fold(word);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&folded, &fold(c)), c))
        .filter(|(distance, c)| *distance <= allowed(word) || is_prefix_either_way(&folded, &fold(c)))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// Lower-case without separators: `entry_point`, `entryPoint` and
/// `entrypoint` are the same word to a reader.
fn fold(word: &str) -> String {
    word.chars().filter(|c| *c != '_' && *c != '-').flat_map(char::to_lowercase).collect()
}

fn allowed(word: &str) -> usize {
    match word.chars().count() {
        0..=3 => 1,
        n => (n / 3).max(2),
    }
}

fn is_prefix_either_way(a: &str, b: &str) -> bool {
    a.len() >= 3 && b.len() >= 3 && (a.starts_with(b) || b.starts_with(a))
}

#[cfg(test)]
mod tests {
    use super::nearest;

    #[test]
    fn finds_the_likely_intended_key() {
        let keys = ["name", "runtime", "entry", "entrypoint", "timeout", "memory", "routes", "methods"];
        for (typo, want) in [
            ("timeot", Some("timeout")),
            ("Timeout", Some("timeout")),
            ("entry_point", Some("entrypoint")),
            ("runtine", Some("runtime")),
            ("metods", Some("methods")),
            ("metod", Some("methods")),
            ("route", Some("routes")),
            ("mem", Some("memory")),
            ("colour", None),
            ("x", None),
        ] {
            assert_eq!(nearest(typo, keys), want, "{typo}");
        }
    }
}
