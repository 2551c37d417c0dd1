//! YAML → a small tree that keeps every scalar's text exactly as written.
//!
//! Why two passes: asked for "any" value, a YAML deserializer turns `1.10` into
//! 1.1 and `0x1F` into 31, but Alyx (Go, yaml.v3 into strings) kept the text.
//! Asked for a string, serde-saphyr returns the text verbatim, but fails on a
//! list or mapping. So pass one learns the shape (a `serde_json::Value`) and
//! pass two replays the same input, asking for a string exactly where pass one
//! saw a scalar. Both passes run under serde-saphyr's budgets (alias bombs,
//! depth), and type errors are left to `decode`, which knows field names.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Node {
    Null,
    /// `value` is pass one's typed reading (bool, number or string).
    Scalar {
        text: String,
        value: Value,
    },
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Node {
    /// What this node is, for "expected X, got Y" messages.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Node::Null => "nothing",
            Node::Scalar { value: Value::Bool(_), .. } => "a boolean",
            Node::Scalar { value: Value::Number(_), .. } => "a number",
            Node::Scalar { .. } => "a string",
            Node::Seq(_) => "a list",
            Node::Map(_) => "a mapping",
        }
    }

    /// Back to JSON, with pass one's types (numbers stay numbers).
    pub(super) fn to_json(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Scalar { value, .. } => value.clone(),
            Node::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Node::Map(entries) => Value::Object(entries.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }

    /// Pass one alone, with canonical text ("1.1" for `1.10`).
    fn from_value(value: &Value) -> Node {
        match value {
            Value::Null => Node::Null,
            Value::Array(items) => Node::Seq(items.iter().map(Node::from_value).collect()),
            Value::Object(map) => Node::Map(map.iter().map(|(k, v)| (k.clone(), Node::from_value(v))).collect()),
            Value::String(s) => scalar(s.clone(), value),
            other => scalar(other.to_string(), other),
        }
    }
}

fn scalar(text: String, value: &Value) -> Node {
    Node::Scalar { text, value: value.clone() }
}

fn options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    options.with_snippet = false; // ManifestError is one line
    options.strict_booleans = true; // YAML 1.2: `yes`/`on` are text, as in yaml.v3
    options.leading_zero_numbers_as_strings = true; // `01234` stays "01234" in config/input
    options
}

/// Parses one YAML document. Syntax errors carry line and column.
pub(super) fn load(yaml: &str) -> Result<Node, String> {
    let shape: Value = serde_saphyr::from_str_with_options(yaml, options()).map_err(describe)?;
    let texts =
        serde_saphyr::with_deserializer_from_str_with_options(yaml, options(), |de| Shaped(&shape).deserialize(de));
    // Same input, same options: the passes agree. Should some exotic tag make
    // pass two fail anyway, pass one's canonical text is still a fine answer.
    Ok(texts.unwrap_or_else(|_| Node::from_value(&shape)))
}

/// The parser's message, minus hints meant for Rust callers, not YAML authors.
fn describe(error: serde_saphyr::Error) -> String {
    error
        .to_string()
        .replace(", set DuplicateKeyPolicy in Options if acceptable", "")
        .replace("; use from_str_multiple or from_str_multiple_with_options", "")
}

/// Pass two: deserializes the node that pass one read as `.0`.
struct Shaped<'a>(&'a Value);

impl<'de> DeserializeSeed<'de> for Shaped<'_> {
    type Value = Node;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Node, D::Error> {
        match self.0 {
            Value::Null => IgnoredAny::deserialize(de).map(|_| Node::Null),
            Value::Array(items) => de.deserialize_seq(SeqShape(items)),
            Value::Object(_) => de.deserialize_map(MapShape(self.0)),
            scalar => de.deserialize_str(TextOf(scalar)),
        }
    }
}

struct TextOf<'a>(&'a Value);

impl<'de> Visitor<'de> for TextOf<'_> {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a scalar")
    }
    fn visit_str<E: de::Error>(self, text: &str) -> Result<Node, E> {
        Ok(scalar(text.to_string(), self.0))
    }
    // A deserializer may hand typed values even when asked for a string.
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(scalar(v.to_string(), self.0))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(scalar(v.to_string(), self.0))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(scalar(v.to_string(), self.0))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(scalar(v.to_string(), self.0))
    }
}

struct SeqShape<'a>(&'a [Value]);

impl<'de> Visitor<'de> for SeqShape<'_> {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::with_capacity(self.0.len());
        for shape in self.0 {
            let item = seq.next_element_seed(Shaped(shape))?;
            items.push(item.ok_or_else(|| de::Error::custom("sequence shorter on replay"))?);
        }
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom("sequence longer on replay"));
        }
        Ok(Node::Seq(items))
    }
}

struct MapShape<'a>(&'a Value);

impl<'de> Visitor<'de> for MapShape<'_> {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries: Vec<(String, Node)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let shape = self.0.get(&key).ok_or_else(|| de::Error::custom("key missing on replay"))?;
            let node = map.next_value_seed(Shaped(shape))?;
            // A repeated key (merge keys) replaces in place, as serde_json's map did.
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = node,
                None => entries.push((key, node)),
            }
        }
        Ok(Node::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(node: &Node, key: &str) -> String {
        let Node::Map(entries) = node else { panic!("not a map") };
        match &entries.iter().find(|(k, _)| k == key).unwrap().1 {
            Node::Scalar { text, .. } => text.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn keeps_scalar_text() {
        let node = load("a: 1.10\nb: 0x1F\nc: yes\nd: 1_000\ne: '007'\nf: ~\ng: [1, {h: 2}]\n").unwrap();
        assert_eq!(text(&node, "a"), "1.10");
        assert_eq!(text(&node, "b"), "0x1F");
        assert_eq!(text(&node, "c"), "yes");
        assert_eq!(text(&node, "d"), "1_000");
        assert_eq!(text(&node, "e"), "007");
        assert_eq!(node.to_json()["f"], Value::Null);
        assert_eq!(node.to_json()["g"], serde_json::json!([1, {"h": 2}]));
    }

    #[test]
    fn aliases_and_merge_keys() {
        let node = load("base: &b {x: 1.50, y: 2}\nm:\n  <<: *b\n  y: 3\nl: *b\n").unwrap();
        assert_eq!(node.to_json()["m"], serde_json::json!({"x": 1.5, "y": 3}));
        let Node::Map(entries) = &node else { panic!() };
        assert_eq!(text(&entries[2].1, "x"), "1.50");
    }
}
