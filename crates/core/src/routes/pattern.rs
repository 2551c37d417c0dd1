//! A route path such as `/users/:id/files/*`: static segments, `:param`
//! segments and a trailing `*` (CONTRACT §13). Matching works on the raw
//! (still percent-encoded) path; the JS layer decodes parameter values.

use std::cmp::Ordering;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Static(String),
    Param(String),
    /// Only last: the rest of the path, zero or more segments.
    Rest,
}

/// The name `*` captures under in `params`.
pub const REST_PARAM: &str = "*";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    segments: Vec<Segment>,
}

/// `/a/b/` and `/a/b` are the same path; `/` has no segments.
fn split(path: &str) -> Vec<&str> {
    let trimmed = path.trim_end_matches('/');
    trimmed.split('/').skip(1).collect()
}

impl Pattern {
    pub fn parse(path: &str) -> Pattern {
        let parts = split(path);
        let last = parts.len().saturating_sub(1);
        let segments = parts
            .iter()
            .enumerate()
            .map(|(i, part)| match part.strip_prefix(':') {
                Some(name) if !name.is_empty() => Segment::Param(name.to_string()),
                _ if *part == "*" && i == last => Segment::Rest,
                _ => Segment::Static(part.to_string()),
            })
            .collect();
        Pattern { segments }
    }

    /// The parameters when `path` (without query) matches.
    pub fn matches(&self, path: &str) -> Option<BTreeMap<String, String>> {
        let parts = split(path);
        let mut params = BTreeMap::new();
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Rest => {
                    params.insert(REST_PARAM.to_string(), parts.get(i..).unwrap_or_default().join("/"));
                    return Some(params);
                }
                Segment::Static(s) => (parts.get(i) == Some(&s.as_str())).then_some(())?,
                Segment::Param(name) => {
                    let value = parts.get(i).filter(|v| !v.is_empty())?;
                    params.insert(name.clone(), value.to_string());
                }
            }
        }
        (parts.len() == self.segments.len()).then_some(params)
    }

    /// Two patterns with one shape match exactly the same paths
    /// (parameter names do not count).
    pub fn same_shape(&self, other: &Pattern) -> bool {
        self.segments.len() == other.segments.len()
            && self.segments.iter().zip(&other.segments).all(|pair| match pair {
                (Segment::Static(a), Segment::Static(b)) => a == b,
                (Segment::Param(_), Segment::Param(_)) | (Segment::Rest, Segment::Rest) => true,
                _ => false,
            })
    }

    /// More specific first: at the first segment where they differ, a static
    /// segment beats a parameter, which beats `*`; then the longer pattern.
    pub fn specificity(&self, other: &Pattern) -> Ordering {
        let rank = |s: &Segment| match s {
            Segment::Static(_) => 0,
            Segment::Param(_) => 1,
            Segment::Rest => 2,
        };
        for (a, b) in self.segments.iter().zip(&other.segments) {
            match rank(a).cmp(&rank(b)) {
                Ordering::Equal => continue,
                unequal => return unequal,
            }
        }
        other.segments.len().cmp(&self.segments.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pattern: &str, path: &str) -> Option<Vec<(String, String)>> {
        Pattern::parse(pattern).matches(path).map(|p| p.into_iter().collect())
    }

    type Params = Option<Vec<(String, String)>>;

    fn pairs(list: &[(&str, &str)]) -> Params {
        Some(list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn static_param_and_rest_segments() {
        let cases: &[(&str, &str, Params)] = &[
            ("/todos", "/todos", pairs(&[])),
            ("/todos", "/todos/", pairs(&[])),
            ("/todos/", "/todos", pairs(&[])),
            ("/todos", "/todo", None),
            ("/todos", "/todos/1", None),
            ("/", "/", pairs(&[])),
            ("/", "/x", None),
            ("/users/:id", "/users/42", pairs(&[("id", "42")])),
            ("/users/:id", "/users/", None),
            ("/users/:id", "/users//x", None),
            ("/users/:id/posts/:post", "/users/a%20b/posts/7", pairs(&[("id", "a%20b"), ("post", "7")])),
            ("/files/*", "/files/a/b.txt", pairs(&[("*", "a/b.txt")])),
            ("/files/*", "/files", pairs(&[("*", "")])),
            ("/files/*", "/filesx", None),
            ("/a/*/b", "/a/*/b", pairs(&[])),
            ("/a/*/b", "/a/x/b", None),
        ];
        for (pattern, path, want) in cases {
            assert_eq!(&params(pattern, path), want, "{pattern} vs {path}");
        }
    }

    #[test]
    fn shapes_ignore_parameter_names() {
        let p = Pattern::parse;
        assert!(p("/u/:id").same_shape(&p("/u/:name/")));
        assert!(!p("/u/:id").same_shape(&p("/u/me")));
        assert!(!p("/u/*").same_shape(&p("/u/:id")));
    }

    #[test]
    fn static_beats_param_beats_rest() {
        let mut list = vec![Pattern::parse("/u/*"), Pattern::parse("/u/:id"), Pattern::parse("/u/me")];
        list.sort_by(Pattern::specificity);
        assert_eq!(list, vec![Pattern::parse("/u/me"), Pattern::parse("/u/:id"), Pattern::parse("/u/*")]);
    }
}
