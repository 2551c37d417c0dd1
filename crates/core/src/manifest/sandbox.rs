//! The manifest's `sandbox` field (CONTRACT §11): `true`, `false`, or
//! `{ read, write, network }`. Errors name the field (`sandbox.network[1]`).

use super::error::ManifestError;
use super::yaml_tree::Node;
use crate::sandbox::{Network, SandboxPolicy};
use serde_json::Value;

/// `None`: absent or `false` (no sandbox of its own).
pub(super) fn decode(node: Option<&Node>) -> Result<Option<SandboxPolicy>, ManifestError> {
    let entries = match node {
        None | Some(Node::Null) => return Ok(None),
        Some(Node::Scalar { value: Value::Bool(on), .. }) => return Ok(on.then(SandboxPolicy::default)),
        Some(Node::Map(entries)) => entries,
        Some(other) => return Err(wrong("sandbox", "true, false or a mapping", other)),
    };
    let get = |key: &str| entries.iter().find(|(k, _)| k == key).map(|(_, v)| v).filter(|v| **v != Node::Null);
    let mut policy = SandboxPolicy::default();
    if let Some(read) = get("read") {
        policy.read = paths("sandbox.read", read)?;
    }
    if let Some(write) = get("write") {
        policy.write = paths("sandbox.write", write)?;
    }
    if let Some(network) = get("network") {
        policy.network = self::network(network)?;
    }
    Ok(Some(policy))
}

fn wrong(field: &str, expected: &str, got: &Node) -> ManifestError {
    ManifestError::new(field, format!("expected {expected}, got {}", got.kind()))
}

fn paths(field: &str, node: &Node) -> Result<Vec<String>, ManifestError> {
    let Node::Seq(items) = node else {
        return Err(wrong(field, "a list of paths", node));
    };
    let path = |(i, item): (usize, &Node)| match item {
        Node::Scalar { text, value: Value::String(_) } if !text.trim().is_empty() => Ok(text.clone()),
        Node::Scalar { text, .. } if text.trim().is_empty() => {
            Err(ManifestError::new(format!("{field}[{i}]"), "must not be empty"))
        }
        other => Err(wrong(&format!("{field}[{i}]"), "a path", other)),
    };
    items.iter().enumerate().map(path).collect()
}

fn network(node: &Node) -> Result<Network, ManifestError> {
    let items = match node {
        Node::Scalar { value: Value::Bool(true), .. } => return Ok(Network::Allowed),
        Node::Scalar { value: Value::Bool(false), .. } => return Ok(Network::Denied),
        Node::Seq(items) => items,
        other => return Err(wrong("sandbox.network", "true, false or a list of ports", other)),
    };
    let port = |(i, item): (usize, &Node)| {
        let text = match item {
            Node::Scalar { text, .. } => text.trim(),
            other => return Err(wrong(&format!("sandbox.network[{i}]"), "a port number", other)),
        };
        match text.parse::<u16>() {
            Ok(p) if p > 0 => Ok(p),
            _ => Err(ManifestError::new(format!("sandbox.network[{i}]"), format!("invalid port {text:?} (1-65535)"))),
        }
    };
    items.iter().enumerate().map(port).collect::<Result<_, _>>().map(Network::Ports)
}

#[cfg(test)]
mod tests {
    use crate::manifest::parse_manifest;
    use crate::sandbox::{Network, SandboxPolicy};

    #[test]
    fn sandbox_forms() {
        let parse = |yaml: &str| parse_manifest(&format!("name: x\n{yaml}\n")).map(|m| m.sandbox);
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("sandbox: false").unwrap(), None);
        assert_eq!(parse("sandbox: true").unwrap(), Some(SandboxPolicy::default()));
        let p = parse("sandbox:\n  read: [/usr, lib]\n  write: [data]\n  network: [443, 5432]").unwrap().unwrap();
        assert_eq!(p.read, ["/usr", "lib"]);
        assert_eq!(p.write, ["data"]);
        assert_eq!(p.network, Network::Ports(vec![443, 5432]));
        assert_eq!(parse("sandbox:\n  network: true").unwrap().unwrap().network, Network::Allowed);
    }

    #[test]
    fn bad_sandbox_fields_are_named() {
        let cases = [
            ("sandbox: yes please", "sandbox"),
            ("sandbox: [a]", "sandbox"),
            ("sandbox:\n  read: /usr", "sandbox.read"),
            ("sandbox:\n  read: [[a]]", "sandbox.read[0]"),
            ("sandbox:\n  write: [\"\"]", "sandbox.write[0]"),
            ("sandbox:\n  write: [1]", "sandbox.write[0]"),
            ("sandbox:\n  network: maybe", "sandbox.network"),
            ("sandbox:\n  network: [0]", "sandbox.network[0]"),
            ("sandbox:\n  network: [443, 70000]", "sandbox.network[1]"),
            ("sandbox:\n  network: [https]", "sandbox.network[0]"),
        ];
        for (yaml, field) in cases {
            let e = parse_manifest(&format!("name: x\n{yaml}\n")).unwrap_err();
            assert_eq!(e.field, field, "{yaml}: {e}");
        }
    }
}
