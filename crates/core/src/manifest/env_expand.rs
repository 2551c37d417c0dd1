//! `${VAR}` / `$VAR` expansion of manifest `env` values from the host env.
//!
//! Both forms because Alyx used Go's `os.ExpandEnv`. Unlike Go, `$$` is an
//! escape for a literal `$`, and anything that is not a well-formed reference
//! (`$1`, `${}`, `${A-B}`, an unclosed `${`, a trailing `$`) is kept as
//! written instead of being silently eaten. An unset variable expands to "".

/// Expands every `${NAME}` and `$NAME` in `value` through `lookup`.
pub fn expand_vars(value: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        let (name, consumed) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) if is_name(&braced[..end]) => (Some(&braced[..end]), end + 2),
                _ => (None, 0),
            }
        } else {
            let end = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
            if is_name(&after[..end]) {
                (Some(&after[..end]), end)
            } else {
                (None, usize::from(after.starts_with('$')))
            }
        };
        match name {
            Some(name) => out.push_str(&lookup(name).unwrap_or_default()),
            None => out.push('$'), // `$$` (consumed == 1) or a literal `$`
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    out
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands() {
        let env = |k: &str| match k {
            "HOME" => Some("/home/a".to_string()),
            "X_1" => Some("x".to_string()),
            _ => None,
        };
        let cases = [
            ("${HOME}/bin", "/home/a/bin"),
            ("$HOME/bin", "/home/a/bin"),
            ("a${X_1}b$X_1", "axbx"),
            ("${UNSET}|$UNSET|", "||"),
            ("cost: $$5", "cost: $5"),
            ("$$HOME", "$HOME"),
            ("$1 ${} ${A-B} ${HOME", "$1 ${} ${A-B} ${HOME"),
            ("end$", "end$"),
            ("é${HOME}é", "é/home/aé"),
            ("no refs", "no refs"),
        ];
        for (input, want) in cases {
            assert_eq!(expand_vars(input, &env), want, "{input:?}");
        }
    }
}
