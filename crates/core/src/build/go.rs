//! The Go build cache: a function's binary lives at `<cache>/<key>`, where
//! `<cache>` is `<dir>/.alyx/go` (or `<cacheDir>/go/<name>`) and the key
//! hashes every `*.go`, `go.mod` and `go.sum` (path and contents) plus the
//! Go version. Written atomically (build to a temp name, rename), so a
//! reader never sees half a binary.

use std::hash::{Hash, Hasher};
use std::io;
use std::path::{Path, PathBuf};

use super::step::{run_command, BuildReport, Run};
use super::walk::{self, CACHE_DIR};
use crate::function::FunctionDef;
use crate::outcome::{Code, ErrorInfo};

/// Hex key of the sources and Go version. std's SipHash is enough for a
/// cache key (a different Rust release at worst forces one rebuild).
pub(crate) fn source_key(dir: &Path, go_version: &str) -> io::Result<String> {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    go_version.hash(&mut h);
    // Local `replace` targets (e.g. an SDK checked out beside the function)
    // are part of the program too: editing them must rebuild.
    for root in std::iter::once(dir.to_path_buf()).chain(local_replacements(dir)) {
        let mut files = Vec::new();
        walk::files(&root, &|_| false, &mut |rel, _| {
            let name = rel.file_name().unwrap_or_default();
            if name == "go.mod" || name == "go.sum" || rel.extension().is_some_and(|e| e == "go") {
                files.push(rel.to_path_buf());
            }
        })?;
        files.sort();
        root.hash(&mut h);
        for rel in files {
            rel.hash(&mut h);
            std::fs::read(root.join(&rel))?.hash(&mut h);
        }
    }
    Ok(format!("{:016x}", h.finish()))
}

/// Directories named by `replace … => ./path` (or an absolute path) in go.mod.
fn local_replacements(dir: &Path) -> Vec<PathBuf> {
    let Ok(go_mod) = std::fs::read_to_string(dir.join("go.mod")) else { return Vec::new() };
    go_mod
        .lines()
        .filter_map(|line| line.split_once("=>"))
        .filter_map(|(_, target)| target.split_whitespace().next())
        .filter(|t| t.starts_with("./") || t.starts_with("../") || t.starts_with('/'))
        .map(|t| dir.join(t))
        .filter(|p| p.is_dir())
        .collect()
}

/// Where the function's binary for `key` lives.
pub(crate) fn binary_path(def: &FunctionDef, cache_dir: Option<&Path>, key: &str) -> PathBuf {
    match cache_dir {
        Some(root) => root.join("go").join(&def.name).join(key),
        None => def.dir.join(CACHE_DIR).join("go").join(key),
    }
}

/// `go build` into the cache; older binaries of this function are removed.
pub(crate) async fn compile(
    def: &FunctionDef,
    go: &Path,
    binary: &Path,
    run: &Run<'_>,
) -> Result<BuildReport, ErrorInfo> {
    let cache = binary.parent().expect("binary_path has a parent");
    std::fs::create_dir_all(cache)
        .map_err(|e| ErrorInfo::new(Code::BuildFailed, format!("cannot create {}: {e}", cache.display())))?;
    let tmp = cache.join(format!(".tmp-{}", uuid::Uuid::new_v4().simple()));
    let mut args = vec!["build".to_string(), "-o".to_string(), tmp.to_string_lossy().into_owned()];
    if def.dir.join("go.mod").is_file() {
        args.push(".".into());
    } else {
        // No module: name the package's files (`go build .` needs a go.mod).
        let mut files: Vec<String> = std::fs::read_dir(&def.dir)
            .map_err(|e| ErrorInfo::new(Code::BuildFailed, e.to_string()))?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".go") && !n.ends_with("_test.go"))
            .collect();
        files.sort();
        args.extend(files);
    }
    let report = run_command(&def.dir, &go.to_string_lossy(), &args, run).await;
    if !report.success {
        let _ = std::fs::remove_file(&tmp);
        return Ok(report);
    }
    std::fs::rename(&tmp, binary)
        .map_err(|e| ErrorInfo::new(Code::BuildFailed, format!("cannot store the Go binary: {e}")))?;
    for old in std::fs::read_dir(cache).into_iter().flatten().flatten() {
        if old.path() != binary {
            let _ = std::fs::remove_file(old.path());
        }
    }
    Ok(report)
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_changes_with_sources_and_version_only() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        std::fs::write(d.join("main.go"), "package main").unwrap();
        std::fs::write(d.join("README.md"), "x").unwrap();
        let k1 = source_key(d, "go1.26").unwrap();
        assert_eq!(k1, source_key(d, "go1.26").unwrap());
        assert_ne!(k1, source_key(d, "go1.27").unwrap());
        std::fs::write(d.join("README.md"), "changed").unwrap();
        std::fs::create_dir_all(d.join(".alyx/go")).unwrap();
        std::fs::write(d.join(".alyx/go/x.go"), "ignored").unwrap();
        assert_eq!(k1, source_key(d, "go1.26").unwrap(), "non-Go files and .alyx do not count");
        std::fs::write(d.join("main.go"), "package main // edit").unwrap();
        assert_ne!(k1, source_key(d, "go1.26").unwrap());
        std::fs::write(d.join("go.mod"), "module x").unwrap();
        assert_ne!(source_key(d, "go1.26").unwrap(), k1);
    }

    #[test]
    fn local_replace_targets_are_part_of_the_key() {
        let tmp = tempfile::tempdir().unwrap();
        let (fx, sdk) = (tmp.path().join("fn"), tmp.path().join("sdk"));
        std::fs::create_dir_all(&fx).unwrap();
        std::fs::create_dir_all(&sdk).unwrap();
        std::fs::write(fx.join("main.go"), "package main").unwrap();
        std::fs::write(
            fx.join("go.mod"),
            "module fn\nrequire example.com/sdk v0.0.0\nreplace (\n\texample.com/sdk => ../sdk\n\texample.com/remote => example.com/other v1.0.0\n)\n",
        )
        .unwrap();
        std::fs::write(sdk.join("sdk.go"), "package sdk").unwrap();
        let before = source_key(&fx, "go1.26").unwrap();
        std::fs::write(sdk.join("sdk.go"), "package sdk // changed").unwrap();
        assert_ne!(before, source_key(&fx, "go1.26").unwrap());
    }
}
