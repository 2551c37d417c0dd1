//! Node tree → typed `Manifest`. Only shapes are checked here (a list where a
//! list belongs); the rules live in `validate`. Every error names its field.
//! Unknown keys are ignored, and `key:` with no value counts as absent.
//! Every key the decoder asks for is known; the rest are collected, with the
//! nearest known key of the same mapping, for `diagnostics()`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::error::ManifestError;
use super::types::{BuildConfig, Hook, HookConfig, Manifest, Route, Schedule, UnknownKey, Verification};
use super::warm::WarmSpec;
use super::yaml_tree::Node;

pub(super) fn decode(root: &Node) -> Result<Manifest, ManifestError> {
    let unknown = Sink::default();
    let f = match root {
        Node::Map(entries) => Fields::new(entries, String::new(), &unknown),
        Node::Null => return Err(ManifestError::new("(yaml)", "the document is empty")),
        other => {
            let msg = format!("expected a mapping at the top level, got {}", other.kind());
            return Err(ManifestError::new("(yaml)", msg));
        }
    };
    let (entry, entrypoint) = (f.text("entry")?, f.text("entrypoint")?);
    let mut manifest = Manifest {
        name: f.text("name")?.unwrap_or_default(),
        runtime: f.text("runtime")?,
        entry: entry.or(entrypoint),
        description: f.text("description")?,
        timeout: f.text("timeout")?,
        memory: f.text("memory")?,
        env: f.string_map("env")?,
        dependencies: f.texts("dependencies")?,
        concurrency: f.positive_u32("concurrency")?,
        routes: f.list("routes", route)?,
        hooks: f.list("hooks", hook)?,
        schedules: f.list("schedules", schedule)?,
        build: f.object("build", build)?,
        sandbox: super::sandbox::decode(f.get("sandbox"))?,
        warm: match f.get("warm") {
            Some(node) => WarmSpec::from_json(&node.to_json(), false)?,
            None => None,
        },
        unknown_keys: Vec::new(),
    };
    f.collect_unknown();
    manifest.unknown_keys = unknown.take();
    manifest.unknown_keys.sort_by(|a, b| a.field.cmp(&b.field));
    Ok(manifest)
}

fn route(f: &Fields) -> Result<Route, ManifestError> {
    Ok(Route {
        path: f.text("path")?.unwrap_or_default(),
        methods: f.texts("methods")?.iter().map(|m| m.to_ascii_uppercase()).collect(),
    })
}

fn hook(f: &Fields) -> Result<Hook, ManifestError> {
    Ok(Hook {
        r#type: f.text("type")?.unwrap_or_default(),
        source: f.text("source")?,
        action: f.text("action")?,
        mode: f.text("mode")?,
        verification: f.object("verification", |v| {
            Ok(Verification {
                r#type: v.text("type")?.unwrap_or_default(),
                header: v.text("header")?.unwrap_or_default(),
                secret: v.text("secret")?.unwrap_or_default(),
            })
        })?,
        config: f
            .object("config", |c| Ok(HookConfig { timeout: c.text("timeout")?, other: c.json_except("timeout") }))?,
    })
}

fn schedule(f: &Fields) -> Result<Schedule, ManifestError> {
    Ok(Schedule {
        name: f.text("name")?.unwrap_or_default(),
        r#type: f.text("type")?.unwrap_or_default(),
        expression: f.text("expression")?.unwrap_or_default(),
        timezone: f.text("timezone")?,
        config: f.object("config", |c| Ok(c.json_except("")))?,
        input: f.get("input").map(Node::to_json),
    })
}

fn build(f: &Fields) -> Result<BuildConfig, ManifestError> {
    Ok(BuildConfig {
        command: f.text("command")?.unwrap_or_default(),
        args: f.texts("args")?,
        output: f.text("output")?.unwrap_or_default(),
        watch: f.texts("watch")?,
        timeout: f.text("timeout")?,
    })
}

/// Where unknown keys of every mapping of one document are collected.
type Sink = Rc<RefCell<Vec<UnknownKey>>>;

/// The entries of one YAML mapping, and where it sits (`routes[0]`).
struct Fields<'a> {
    entries: &'a [(String, Node)],
    path: String,
    /// Keys the decoder asked for: the known keys of this mapping.
    asked: RefCell<Vec<String>>,
    unknown: Sink,
}

impl<'a> Fields<'a> {
    fn new(entries: &'a [(String, Node)], path: String, unknown: &Sink) -> Self {
        Fields { entries, path, asked: RefCell::default(), unknown: Rc::clone(unknown) }
    }

    /// Records the keys present but never asked for. Call after decoding.
    fn collect_unknown(&self) {
        let asked = self.asked.borrow();
        for (key, _) in self.entries.iter().filter(|(k, _)| !asked.contains(k)) {
            let did_you_mean = crate::suggest::nearest(key, asked.iter().map(String::as_str)).map(str::to_string);
            self.unknown.borrow_mut().push(UnknownKey { field: self.field(key), did_you_mean });
        }
    }

    fn field(&self, key: &str) -> String {
        match self.path.as_str() {
            "" => key.to_string(),
            path => format!("{path}.{key}"),
        }
    }

    fn wrong(&self, key: &str, expected: &str, got: &Node) -> ManifestError {
        ManifestError::new(self.field(key), format!("expected {expected}, got {}", got.kind()))
    }

    /// The value of `key`; null counts as absent.
    fn get(&self, key: &str) -> Option<&'a Node> {
        self.asked.borrow_mut().push(key.to_string());
        let node = &self.entries.iter().find(|(k, _)| k == key)?.1;
        (*node != Node::Null).then_some(node)
    }

    /// A scalar as its text; "" counts as absent, as in Alyx.
    fn text(&self, key: &str) -> Result<Option<String>, ManifestError> {
        match self.get(key) {
            None => Ok(None),
            Some(Node::Scalar { text, .. }) => Ok(Some(text.clone()).filter(|t| !t.is_empty())),
            Some(other) => Err(self.wrong(key, "a string", other)),
        }
    }

    fn texts(&self, key: &str) -> Result<Vec<String>, ManifestError> {
        let items = match self.get(key) {
            None => return Ok(Vec::new()),
            Some(Node::Seq(items)) => items,
            Some(other) => return Err(self.wrong(key, "a list of strings", other)),
        };
        let field = self.field(key);
        let item = |(i, node): (usize, &Node)| match node {
            Node::Scalar { text, .. } => Ok(text.clone()),
            other => {
                Err(ManifestError::new(format!("{field}[{i}]"), format!("expected a string, got {}", other.kind())))
            }
        };
        items.iter().enumerate().map(item).collect()
    }

    /// A mapping of scalars; a null value becomes "" (yaml.v3 did the same).
    fn string_map(&self, key: &str) -> Result<BTreeMap<String, String>, ManifestError> {
        let entries = match self.get(key) {
            None => return Ok(BTreeMap::new()),
            Some(Node::Map(entries)) => entries,
            Some(other) => return Err(self.wrong(key, "a mapping", other)),
        };
        let inner = Fields::new(entries, self.field(key), &self.unknown);
        entries
            .iter()
            .map(|(k, v)| match v {
                Node::Null => Ok((k.clone(), String::new())),
                Node::Scalar { text, .. } => Ok((k.clone(), text.clone())),
                other => Err(inner.wrong(k, "a string", other)),
            })
            .collect()
    }

    fn positive_u32(&self, key: &str) -> Result<Option<u32>, ManifestError> {
        let Some(node) = self.get(key) else {
            return Ok(None);
        };
        let parsed = match node {
            Node::Scalar { text, .. } => text.trim().parse::<u32>().ok().filter(|n| *n > 0),
            _ => None,
        };
        match (parsed, node) {
            (Some(n), _) => Ok(Some(n)),
            (None, Node::Scalar { text, .. }) => {
                Err(ManifestError::new(self.field(key), format!("expected a positive integer, got {text:?}")))
            }
            (None, other) => Err(self.wrong(key, "a positive integer", other)),
        }
    }

    fn object<T>(
        &self,
        key: &str,
        decode: impl Fn(&Fields) -> Result<T, ManifestError>,
    ) -> Result<Option<T>, ManifestError> {
        match self.get(key) {
            None => Ok(None),
            Some(Node::Map(entries)) => {
                let inner = Fields::new(entries, self.field(key), &self.unknown);
                let value = decode(&inner)?;
                inner.collect_unknown();
                Ok(Some(value))
            }
            Some(other) => Err(self.wrong(key, "a mapping", other)),
        }
    }

    fn list<T>(
        &self,
        key: &str,
        decode: impl Fn(&Fields) -> Result<T, ManifestError>,
    ) -> Result<Vec<T>, ManifestError> {
        let items = match self.get(key) {
            None => return Ok(Vec::new()),
            Some(Node::Seq(items)) => items,
            Some(other) => return Err(self.wrong(key, "a list", other)),
        };
        let field = self.field(key);
        let item = |(i, node): (usize, &Node)| match node {
            Node::Map(entries) => {
                let inner = Fields::new(entries, format!("{field}[{i}]"), &self.unknown);
                let value = decode(&inner)?;
                inner.collect_unknown();
                Ok(value)
            }
            other => {
                Err(ManifestError::new(format!("{field}[{i}]"), format!("expected a mapping, got {}", other.kind())))
            }
        };
        items.iter().enumerate().map(item).collect()
    }

    /// Every entry but `skip`, as JSON (free-form config).
    fn json_except(&self, skip: &str) -> serde_json::Map<String, serde_json::Value> {
        self.asked.borrow_mut().extend(self.entries.iter().map(|(k, _)| k.clone()));
        self.entries.iter().filter(|(k, _)| k != skip).map(|(k, v)| (k.clone(), v.to_json())).collect()
    }
}
