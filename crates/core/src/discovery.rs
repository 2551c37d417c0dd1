//! Finding a function in the functions directory (CONTRACT §5): its
//! directory, entry file and runtime.

use std::path::{Path, PathBuf};

use crate::registry::Registry;

/// Entry files in the order they are looked for.
pub const ENTRY_FILES: &[&str] = &[
    "mod.ts",
    "main.ts",
    "index.ts",
    "index.mts",
    "index.tsx",
    "index.js",
    "index.mjs",
    "index.cjs",
    "index.cts",
    "index.py",
    "main.py",
    "main.go",
    "index.go",
    "main.rb",
    "index.rb",
];

/// Files whose presence picks the runtime before the entry's extension does.
const MARKERS: &[(&str, &str)] = &[
    ("deno.json", "deno"),
    ("deno.jsonc", "deno"),
    ("bunfig.toml", "bun"),
    ("bun.lock", "bun"),
    ("bun.lockb", "bun"),
    ("go.mod", "go"),
];

/// `^[A-Za-z0-9][A-Za-z0-9_-]*$`: nothing that could name a path outside
/// the functions directory.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Directory names the scan never treats as functions.
pub fn is_skipped_dir(name: &str) -> bool {
    name.starts_with('.') || name.starts_with('_') || name == "node_modules"
}

/// The function's directory, refusing a symlink that leads outside `root`.
pub fn function_dir(root: &Path, name: &str) -> Result<Option<PathBuf>, String> {
    let dir = root.join(name);
    if !dir.is_dir() {
        return Ok(None);
    }
    let (Ok(real_root), Ok(real_dir)) = (root.canonicalize(), dir.canonicalize()) else {
        return Ok(None);
    };
    if !real_dir.starts_with(&real_root) {
        return Err(format!("{} resolves outside the functions directory", dir.display()));
    }
    Ok(Some(std::path::absolute(&dir).unwrap_or(dir)))
}

/// The first entry file that exists: the contract's list, then `index`/`main`
/// with a user runtime's extensions, then an executable `bootstrap`.
pub fn find_entry(dir: &Path, registry: &Registry) -> Option<PathBuf> {
    let custom = registry
        .all()
        .filter(|d| d.custom)
        .flat_map(|d| d.extensions.iter())
        .flat_map(|ext| [format!("index{ext}"), format!("main{ext}")]);
    ENTRY_FILES
        .iter()
        .map(|s| s.to_string())
        .chain(custom)
        .map(|f| dir.join(f))
        .find(|p| p.is_file())
        .or_else(|| Some(dir.join("bootstrap")).filter(|p| is_executable(p)))
}

/// Markers in the directory, else the entry's extension; `bootstrap` (or any
/// extension-less executable) runs as a binary.
pub fn detect_runtime(dir: &Path, entry: &Path, registry: &Registry) -> Option<String> {
    let ext = entry.extension().map(|e| format!(".{}", e.to_string_lossy()));
    if ext.is_none() && is_executable(entry) {
        return Some("binary".into());
    }
    if let Some((_, rt)) = MARKERS.iter().find(|(file, _)| dir.join(file).is_file()) {
        return Some(rt.to_string());
    }
    registry.by_extension(ext.as_deref()?).map(|d| d.name.clone())
}

#[cfg(unix)]
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
pub fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn name_rules() {
        for ok in ["hello", "a", "A1", "my-fn", "my_fn", "9lives"] {
            assert!(is_valid_name(ok), "{ok}");
        }
        for bad in ["", "..", ".", "-x", "_x", "a/b", "a\\b", "/abs", "a\0b", "a b", "héllo", "a.b"] {
            assert!(!is_valid_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn skip_rules() {
        for skip in [".git", "_shared", "node_modules", ".alyx"] {
            assert!(is_skipped_dir(skip));
        }
        assert!(!is_skipped_dir("hello"));
    }

    fn touch(dir: &Path, files: &[&str]) {
        for f in files {
            fs::write(dir.join(f), "").unwrap();
        }
    }

    #[test]
    fn entry_order_prefers_typescript_and_earlier_names() {
        let reg = Registry::with_defaults();
        let cases: &[(&[&str], &str)] = &[
            (&["index.js", "index.ts"], "index.ts"),
            (&["index.py", "main.ts"], "main.ts"),
            (&["mod.ts", "main.ts"], "mod.ts"),
            (&["main.rb", "main.go"], "main.go"),
            (&["index.rb", "main.py"], "main.py"),
            (&["index.cjs", "index.mjs"], "index.mjs"),
        ];
        for (files, want) in cases {
            let tmp = tempfile::tempdir().unwrap();
            touch(tmp.path(), files);
            let entry = find_entry(tmp.path(), &reg).unwrap();
            assert_eq!(entry.file_name().unwrap(), *want, "{files:?}");
        }
    }

    #[test]
    fn no_entry_and_non_executable_bootstrap() {
        let reg = Registry::with_defaults();
        let tmp = tempfile::tempdir().unwrap();
        touch(tmp.path(), &["README.md", "bootstrap"]);
        assert!(find_entry(tmp.path(), &reg).is_none());
    }

    #[cfg(unix)]
    #[test]
    fn executable_bootstrap_is_a_binary() {
        use std::os::unix::fs::PermissionsExt;
        let reg = Registry::with_defaults();
        let tmp = tempfile::tempdir().unwrap();
        let b = tmp.path().join("bootstrap");
        fs::write(&b, "#!/bin/sh\n").unwrap();
        fs::set_permissions(&b, fs::Permissions::from_mode(0o755)).unwrap();
        touch(tmp.path(), &["go.mod"]);
        let entry = find_entry(tmp.path(), &reg).unwrap();
        assert_eq!(detect_runtime(tmp.path(), &entry, &reg).as_deref(), Some("binary"));
    }

    #[test]
    fn markers_beat_extensions() {
        let reg = Registry::with_defaults();
        let cases: &[(&[&str], &str)] = &[
            (&["index.ts"], "deno"),
            (&["index.tsx"], "deno"),
            (&["index.js"], "node"),
            (&["index.cts"], "node"),
            (&["main.py"], "python"),
            (&["main.go"], "go"),
            (&["main.rb"], "ruby"),
            (&["index.ts", "bunfig.toml"], "bun"),
            (&["index.ts", "bun.lockb"], "bun"),
            (&["index.js", "bun.lock"], "bun"),
            (&["index.js", "deno.json"], "deno"),
            (&["index.js", "deno.jsonc"], "deno"),
            (&["main.go", "go.mod"], "go"),
        ];
        for (files, want) in cases {
            let tmp = tempfile::tempdir().unwrap();
            touch(tmp.path(), files);
            let entry = find_entry(tmp.path(), &reg).unwrap();
            assert_eq!(detect_runtime(tmp.path(), &entry, &reg).as_deref(), Some(*want), "{files:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn symlink_outside_root_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("evil")).unwrap();
        fs::create_dir(root.path().join("good")).unwrap();
        assert!(function_dir(root.path(), "evil").is_err());
        assert!(function_dir(root.path(), "good").unwrap().is_some());
        assert!(function_dir(root.path(), "missing").unwrap().is_none());
    }
}
