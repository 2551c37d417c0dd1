//! The HTTP face of the manifests (CONTRACT §13): every function's `routes`
//! and `webhook` hooks in one table, rebuilt with the catalog. The JS layer
//! (`lib/http.js`) asks it which function serves a method and path; two
//! functions claiming one method and path is a diagnostic, and the first by
//! name keeps it.

mod pattern;
pub mod webhook;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::catalog::Diagnostic;
use crate::function::{FunctionDef, MANIFEST_FILE};
pub use pattern::Pattern;

#[derive(Debug, Clone)]
struct Entry {
    function: String,
    path: String,
    pattern: Pattern,
    methods: Vec<String>,
    /// Index in the function's `hooks` of the webhook this entry serves.
    hook: Option<usize>,
    /// Lower-cased name of the header carrying the signature.
    signature_header: Option<String>,
}

/// What serves a request, as `lib/http.js` reads it (JSON).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum RouteMatch {
    Found {
        function: String,
        params: BTreeMap<String, String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        webhook: Option<WebhookMatch>,
    },
    MethodNotAllowed {
        allow: Vec<String>,
    },
    NotFound,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookMatch {
    pub hook: usize,
    pub header: String,
}

#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    /// Most specific pattern first.
    entries: Vec<Entry>,
    pub conflicts: Vec<Diagnostic>,
}

/// The default path of a function's webhook.
pub fn default_webhook_path(function: &str) -> String {
    format!("/webhooks/{function}")
}

/// One function's claims: its routes, then its webhooks.
fn claims(def: &FunctionDef) -> Vec<Entry> {
    let Some(m) = &def.manifest else { return Vec::new() };
    let entry = |path: &str, methods: Vec<String>, hook: Option<usize>, header: Option<String>| Entry {
        function: def.name.clone(),
        path: path.to_string(),
        pattern: Pattern::parse(path),
        methods,
        hook,
        signature_header: header,
    };
    let routes = m.routes.iter().map(|r| entry(&r.path, r.methods.clone(), None, None));
    let webhooks = m.hooks.iter().enumerate().filter(|(_, h)| h.r#type == "webhook").map(|(i, h)| {
        let config = h.config.as_ref().map(|c| &c.other);
        let path = config.and_then(|c| c.get("path")).and_then(|p| p.as_str());
        let path = path.map(str::to_string).unwrap_or_else(|| default_webhook_path(&def.name));
        let methods = config.and_then(|c| c.get("methods")).and_then(|m| m.as_array());
        let methods = methods
            .map(|list| list.iter().filter_map(|m| m.as_str()).map(str::to_ascii_uppercase).collect())
            .unwrap_or_else(|| vec!["POST".to_string()]);
        let header = h.verification.as_ref().map(|v| v.header.to_ascii_lowercase());
        entry(&path, methods, Some(i), header)
    });
    routes.chain(webhooks).collect()
}

impl RouteTable {
    /// `functions` in name order: on a clash the earlier name wins.
    pub fn build<'a>(root: &Path, functions: impl IntoIterator<Item = &'a FunctionDef>) -> RouteTable {
        let mut table = RouteTable::default();
        for def in functions {
            for mut claim in claims(def) {
                table.drop_taken_methods(root, &mut claim);
                if !claim.methods.is_empty() {
                    table.entries.push(claim);
                }
            }
        }
        table.entries.sort_by(|a, b| a.pattern.specificity(&b.pattern));
        table
    }

    /// Removes from `claim` the methods an earlier entry of the same shape
    /// serves, with a diagnostic for each.
    fn drop_taken_methods(&mut self, root: &Path, claim: &mut Entry) {
        let mut kept = Vec::new();
        for method in std::mem::take(&mut claim.methods) {
            let owner =
                self.entries.iter().find(|e| e.pattern.same_shape(&claim.pattern) && e.methods.contains(&method));
            match owner {
                None if !kept.contains(&method) => kept.push(method),
                None => {}
                Some(owner) if owner.function == claim.function && owner.hook == claim.hook => {}
                Some(owner) => self.conflicts.push(Diagnostic {
                    name: claim.function.clone(),
                    path: root.join(&claim.function).join(MANIFEST_FILE),
                    message: format!(
                        "{method} {} is also claimed by function \"{}\" ({}), which serves it",
                        claim.path, owner.function, owner.path
                    ),
                }),
            }
        }
        claim.methods = kept;
    }

    /// `path` is the request path without query string or prefix.
    pub fn find(&self, method: &str, path: &str) -> RouteMatch {
        let mut allow: Vec<String> = Vec::new();
        for entry in &self.entries {
            let Some(params) = entry.pattern.matches(path) else { continue };
            // HEAD is served by a GET route (the server drops the body).
            let serves = |m: &String| m == method || (method == "HEAD" && m == "GET");
            if entry.methods.iter().any(serves) {
                let webhook = entry
                    .hook
                    .map(|hook| WebhookMatch { hook, header: entry.signature_header.clone().unwrap_or_default() });
                return RouteMatch::Found { function: entry.function.clone(), params, webhook };
            }
            allow.extend(entry.methods.iter().cloned());
        }
        if allow.is_empty() {
            return RouteMatch::NotFound;
        }
        if allow.iter().any(|m| m == "GET") {
            allow.push("HEAD".into());
        }
        allow.sort();
        allow.dedup();
        RouteMatch::MethodNotAllowed { allow }
    }
}

#[cfg(test)]
mod tests;
