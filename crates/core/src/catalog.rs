//! The scanned functions directory behind `list()`, `get()`,
//! `diagnostics()` and `reload()` (CONTRACT §5).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::discovery::{function_dir, is_skipped_dir, is_valid_name};
use crate::env::EnvMap;
use crate::function::{load_dir, FunctionDef, LoadError};
use crate::registry::Registry;
use crate::routes::RouteTable;

/// A directory that was skipped, and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Diagnostic {
    pub name: String,
    pub path: PathBuf,
    pub message: String,
}

#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub functions: BTreeMap<String, FunctionDef>,
    pub diagnostics: Vec<Diagnostic>,
    /// The functions' routes and webhooks (CONTRACT §13), kept in step.
    pub routes: RouteTable,
}

impl Catalog {
    /// Non-recursive scan: every directory not skipped by name is a function
    /// or a diagnostic. A missing `root` is an empty catalog plus a diagnostic.
    pub fn scan(root: &Path, registry: &Registry, host: &EnvMap) -> Catalog {
        let mut catalog = Catalog::default();
        let entries = match std::fs::read_dir(root) {
            Ok(e) => e,
            Err(e) => {
                catalog.diagnostics.push(Diagnostic {
                    name: String::new(),
                    path: root.to_path_buf(),
                    message: format!("cannot read functions directory {}: {e}", root.display()),
                });
                return catalog;
            }
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !is_skipped_dir(n))
            .collect();
        names.sort();
        for name in names {
            catalog.load_one(root, &name, registry, host);
        }
        catalog.routes = RouteTable::build(root, catalog.functions.values());
        catalog
    }

    /// Skipped directories, then routes claimed twice.
    pub fn all_diagnostics(&self) -> Vec<Diagnostic> {
        self.diagnostics.iter().chain(&self.routes.conflicts).cloned().collect()
    }

    /// Re-reads one function; returns what it is now (None: gone).
    pub fn refresh(
        &mut self,
        root: &Path,
        name: &str,
        registry: &Registry,
        host: &EnvMap,
    ) -> Option<Result<(), LoadError>> {
        let outcome = self.load_one(root, name, registry, host);
        self.routes = RouteTable::build(root, self.functions.values());
        outcome
    }

    fn load_one(
        &mut self,
        root: &Path,
        name: &str,
        registry: &Registry,
        host: &EnvMap,
    ) -> Option<Result<(), LoadError>> {
        self.functions.remove(name);
        self.diagnostics.retain(|d| d.name != name);
        let path = root.join(name);
        let outcome = if !is_valid_name(name) {
            Err(LoadError::InvalidName(format!("directory name {name:?} is not a valid function name")))
        } else {
            match function_dir(root, name) {
                Ok(Some(dir)) => load_dir(name, dir, registry, host),
                Ok(None) => return None,
                Err(e) => Err(LoadError::InvalidName(e)),
            }
        };
        match outcome {
            Ok(def) => {
                self.functions.insert(name.to_string(), def);
                Some(Ok(()))
            }
            Err(e) => {
                self.diagnostics.push(Diagnostic { name: name.to_string(), path, message: e.message().to_string() });
                self.diagnostics.sort_by(|a, b| a.name.cmp(&b.name));
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    #[test]
    fn scan_skips_lists_and_diagnoses() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(root, "hello/index.ts", "");
        write(root, "py/main.py", "");
        write(root, ".hidden/index.js", "");
        write(root, "_shared/index.js", "");
        write(root, "node_modules/index.js", "");
        write(root, "empty/README.md", "");
        write(root, "broken/index.js", "");
        write(root, "broken/manifest.yaml", "name: broken\ntimeout: abc\n");
        write(root, "cobol/index.js", "");
        write(root, "cobol/manifest.yaml", "name: cobol\nruntime: cobol\n");
        write(root, "not a name/index.js", "");
        write(root, "file.js", "");
        let reg = Registry::with_defaults();
        let c = Catalog::scan(root, &reg, &crate::env::snapshot());
        assert_eq!(c.functions.keys().collect::<Vec<_>>(), ["hello", "py"]);
        assert_eq!(c.functions["hello"].runtime, "deno");
        assert_eq!(c.functions["py"].runtime, "python");
        let diag: Vec<(&str, &str)> = c.diagnostics.iter().map(|d| (d.name.as_str(), d.message.as_str())).collect();
        assert_eq!(diag.len(), 4, "{diag:?}");
        assert!(diag[0].0 == "broken" && diag[0].1.contains("timeout: invalid duration \"abc\""), "{diag:?}");
        assert!(diag[0].1.contains("broken/manifest.yaml"), "the message names the file: {diag:?}");
        assert!(diag[1].0 == "cobol" && diag[1].1.contains("unknown runtime \"cobol\""), "{diag:?}");
        assert!(diag[2].0 == "empty" && diag[2].1.contains("no entry file"), "{diag:?}");
        assert!(diag[3].0 == "not a name", "{diag:?}");
    }

    #[test]
    fn missing_root_is_empty_with_a_diagnostic() {
        let c = Catalog::scan(Path::new("/definitely/not/here"), &Registry::with_defaults(), &Default::default());
        assert!(c.functions.is_empty());
        assert_eq!(c.diagnostics.len(), 1);
        assert!(c.diagnostics[0].message.contains("cannot read functions directory"));
    }

    #[test]
    fn manifest_sets_entry_runtime_timeout_env_and_build_output() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::env::set_var("ALYX_CATALOG_TEST_VAR", "expanded");
        write(root, "m/src/app.js", "");
        write(root, "m/manifest.yaml", "name: m\nentrypoint: src/app.js\ntimeout: 5s\nmemory: 128mb\nconcurrency: 2\nenv:\n  A: ${ALYX_CATALOG_TEST_VAR}\n");
        write(root, "b/src.ts", "");
        write(
            root,
            "b/manifest.yaml",
            "name: b\nruntime: node\nbuild:\n  command: sh\n  args: [build.sh]\n  output: dist/index.js\n",
        );
        write(root, "missing/manifest.yaml", "name: missing\nentry: nope.js\n");
        let c = Catalog::scan(root, &Registry::with_defaults(), &crate::env::snapshot());
        let m = &c.functions["m"];
        assert_eq!(m.entry, root.join("m/src/app.js"));
        assert_eq!(m.runtime, "node");
        let info = m.info(30_000);
        assert_eq!(info.timeout_ms, 5000);
        assert_eq!(info.memory_mb, Some(128));
        assert_eq!(info.concurrency, Some(2));
        assert_eq!(m.env["A"], "expanded", "the process gets the value");
        assert_eq!(info.env["A"], "${ALYX_CATALOG_TEST_VAR}", "list() and get() show it as written");
        assert!(info.has_manifest);
        let b = &c.functions["b"];
        assert_eq!(b.entry, root.join("b/dist/index.js"), "listed with the output path even before the first build");
        assert_eq!(c.diagnostics.len(), 1);
        assert!(c.diagnostics[0].message.contains("entry"), "{:?}", c.diagnostics);
    }
}
