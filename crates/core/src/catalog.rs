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
        let (dirs, files): (Vec<_>, Vec<_>) = entries.filter_map(|e| e.ok()).partition(|e| e.path().is_dir());
        let mut names: Vec<String> =
            dirs.iter().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| !is_skipped_dir(n)).collect();
        names.sort();
        for name in names {
            catalog.load_one(root, &name, registry, host);
        }
        catalog.routes = RouteTable::build(root, catalog.functions.values());
        let mut loose: Vec<Diagnostic> = files.iter().filter_map(|f| loose_file(&f.path(), registry)).collect();
        loose.sort_by(|a, b| a.name.cmp(&b.name));
        catalog.diagnostics.extend(loose);
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
                self.diagnostics.extend(unknown_keys(&def));
                self.diagnostics.sort_by(|a, b| a.name.cmp(&b.name));
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

/// A file directly in the functions directory that looks like a function
/// written the wrong way (`send.js`): the fix, as a diagnostic.
fn loose_file(path: &Path, registry: &Registry) -> Option<Diagnostic> {
    let file = path.file_name()?.to_string_lossy().into_owned();
    let ext = path.extension().map(|e| format!(".{}", e.to_string_lossy()))?;
    if file.starts_with('.') || registry.by_extension(&ext).is_none() {
        return None;
    }
    let stem = path.file_stem()?.to_string_lossy();
    let entry = if matches!(ext.as_str(), ".py" | ".go" | ".rb") { "main" } else { "index" };
    Some(Diagnostic {
        message: format!("not a function: functions are directories — move {file} to {stem}/{entry}{ext}"),
        name: file,
        path: path.to_path_buf(),
    })
}

/// Manifest keys this version does not read: accepted, but said, since a
/// typo (`timeot`) would otherwise be silently ignored.
fn unknown_keys(def: &FunctionDef) -> Vec<Diagnostic> {
    let Some(manifest) = &def.manifest else { return Vec::new() };
    let path = def.dir.join(crate::function::MANIFEST_FILE);
    let diagnostic = |key: &crate::manifest::UnknownKey| Diagnostic {
        name: def.name.clone(),
        path: path.clone(),
        message: format!("{}: {key}", path.display()),
    };
    manifest.unknown_keys.iter().map(diagnostic).collect()
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
        write(root, "README.md", "");
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
    fn loose_files_and_unknown_manifest_keys_are_diagnosed() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        for (rel, text) in [
            ("send.js", ""),
            ("report.py", ""),
            ("notes.txt", ""),
            ("package.json", "{}"),
            (".eslintrc.js", ""),
            ("ok/index.js", ""),
            ("ok/manifest.yaml", "name: ok\ntimeot: 5s\nx-alyx-extra: 1\n"),
        ] {
            write(root, rel, text);
        }
        let c = Catalog::scan(root, &Registry::with_defaults(), &crate::env::snapshot());
        assert_eq!(c.functions.keys().collect::<Vec<_>>(), ["ok"], "unknown keys do not skip the function");
        let diag: Vec<(&str, String)> = c
            .diagnostics
            .iter()
            .map(|d| (d.name.as_str(), d.message.replace(&root.display().to_string(), "")))
            .collect();
        assert_eq!(
            diag,
            [
                ("ok", "/ok/manifest.yaml: unknown key `timeot` (ignored; did you mean `timeout`?)".into()),
                ("ok", "/ok/manifest.yaml: unknown key `x-alyx-extra` (ignored)".into()),
                ("report.py", "not a function: functions are directories — move report.py to report/main.py".into()),
                ("send.js", "not a function: functions are directories — move send.js to send/index.js".into()),
            ]
        );
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
