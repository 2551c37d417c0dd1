//! One function read from disk: its directory, manifest, entry and runtime.
//! `invoke` loads a function afresh each time (a few stats and a small YAML
//! parse), so edits and new functions are seen without `reload()`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::discovery::{detect_runtime, find_entry, function_dir, is_valid_name};
use crate::env::{lookup, EnvMap};
use crate::manifest::{load_manifest, BuildConfig, Hook, Manifest, Route, Schedule};
use crate::outcome::{Code, ErrorInfo};
use crate::registry::Registry;

pub const MANIFEST_FILE: &str = "manifest.yaml";

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDef {
    pub name: String,
    pub dir: PathBuf,
    /// Absolute; for a function with `build`, its `output`.
    pub entry: PathBuf,
    pub runtime: String,
    pub manifest: Option<Manifest>,
    /// Manifest env, `${VAR}` expanded from the host env.
    pub env: BTreeMap<String, String>,
}

impl FunctionDef {
    pub fn timeout_ms(&self) -> Option<u64> {
        self.manifest.as_ref().and_then(Manifest::timeout_ms)
    }

    pub fn memory_mb(&self) -> Option<u64> {
        self.manifest.as_ref().and_then(Manifest::memory_mb)
    }

    pub fn concurrency(&self) -> Option<u32> {
        self.manifest.as_ref().and_then(|m| m.concurrency)
    }

    pub fn build(&self) -> Option<&BuildConfig> {
        self.manifest.as_ref().and_then(|m| m.build.as_ref())
    }

    pub fn info(&self, default_timeout_ms: u64) -> FunctionInfo {
        let m = self.manifest.as_ref();
        FunctionInfo {
            name: self.name.clone(),
            runtime: self.runtime.clone(),
            dir: self.dir.clone(),
            entry: self.entry.clone(),
            timeout_ms: self.timeout_ms().unwrap_or(default_timeout_ms),
            memory_mb: self.memory_mb(),
            // As written (`${DB_URL}`): listing functions never reveals a
            // host secret (CONTRACT §9).
            env: m.map(|m| m.env.clone()).unwrap_or_default(),
            has_manifest: m.is_some(),
            description: m.and_then(|m| m.description.clone()),
            build: self.build().cloned(),
            routes: m.map(|m| m.routes.clone()).unwrap_or_default(),
            hooks: m.map(|m| m.hooks.clone()).unwrap_or_default(),
            schedules: m.map(|m| m.schedules.clone()).unwrap_or_default(),
            concurrency: self.concurrency(),
            warm: m.and_then(|m| m.warm.clone()),
        }
    }
}

/// What `list()` and `get()` return (CONTRACT §2). Optional fields are
/// `null` when absent, never missing.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FunctionInfo {
    pub name: String,
    pub runtime: String,
    pub dir: PathBuf,
    pub entry: PathBuf,
    pub timeout_ms: u64,
    pub memory_mb: Option<u64>,
    pub env: BTreeMap<String, String>,
    pub has_manifest: bool,
    pub description: Option<String>,
    pub build: Option<BuildConfig>,
    pub routes: Vec<Route>,
    pub hooks: Vec<Hook>,
    pub schedules: Vec<Schedule>,
    pub concurrency: Option<u32>,
    /// How it is kept warm (manifest `warm`, or `RuntimeOptions.warm`);
    /// null = one-shot (CONTRACT §10).
    pub warm: Option<crate::manifest::WarmSpec>,
}

/// Why a directory is not a runnable function.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadError {
    InvalidName(String),
    NotFound(String),
    NoEntry(String),
    InvalidManifest(String),
    UnknownRuntime(String),
}

impl LoadError {
    pub fn message(&self) -> &str {
        match self {
            LoadError::InvalidName(m)
            | LoadError::NotFound(m)
            | LoadError::NoEntry(m)
            | LoadError::InvalidManifest(m)
            | LoadError::UnknownRuntime(m) => m,
        }
    }

    pub fn to_error(&self) -> ErrorInfo {
        let code = match self {
            LoadError::InvalidName(_) => Code::InvalidFunctionName,
            LoadError::NotFound(_) | LoadError::NoEntry(_) => Code::FunctionNotFound,
            LoadError::InvalidManifest(_) => Code::InvalidManifest,
            LoadError::UnknownRuntime(_) => Code::RuntimeNotFound,
        };
        ErrorInfo::new(code, self.message())
    }
}

/// Loads `root/name`, refusing names that could leave `root`.
pub fn load(root: &Path, name: &str, registry: &Registry, host: &EnvMap) -> Result<FunctionDef, LoadError> {
    if !is_valid_name(name) {
        return Err(LoadError::InvalidName(format!(
            "invalid function name {name:?}: must match ^[A-Za-z0-9][A-Za-z0-9_-]*$"
        )));
    }
    let dir = function_dir(root, name)
        .map_err(LoadError::InvalidName)?
        .ok_or_else(|| LoadError::NotFound(not_found_message(root, name)))?;
    load_dir(name, dir, registry, host)
}

/// The checks of `load` again, right before spawning (CONTRACT §14): a
/// directory swapped for a symlink leading outside `root` while the call
/// waited is refused.
pub fn recheck_dir(root: &Path, name: &str) -> Result<(), ErrorInfo> {
    match function_dir(root, name) {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(LoadError::NotFound(format!("function \"{name}\" is gone")).to_error()),
        Err(message) => Err(LoadError::InvalidName(message).to_error()),
    }
}

fn not_found_message(root: &Path, name: &str) -> String {
    if root.is_dir() {
        format!("no function named \"{name}\" in {}", root.display())
    } else {
        format!("no function named \"{name}\": the functions directory {} does not exist", root.display())
    }
}

/// Loads a function from its (already validated) directory.
/// `host` supplies the variables `${VAR}` in the manifest's env expands to.
pub fn load_dir(name: &str, dir: PathBuf, registry: &Registry, host: &EnvMap) -> Result<FunctionDef, LoadError> {
    let manifest_path = dir.join(MANIFEST_FILE);
    let manifest = if manifest_path.is_file() {
        let m = load_manifest(&manifest_path).map_err(|e| LoadError::InvalidManifest(e.in_file(&manifest_path)))?;
        let known: Vec<String> = registry.all().map(|d| d.name.clone()).collect();
        m.validate_runtime(&known).map_err(|e| LoadError::UnknownRuntime(e.in_file(&manifest_path)))?;
        Some(m)
    } else {
        None
    };
    let m = manifest.as_ref();
    let entry = if let Some(build) = m.and_then(|m| m.build.as_ref()) {
        dir.join(&build.output)
    } else if let Some(rel) = m.and_then(|m| m.entry.as_ref()) {
        let p = dir.join(rel);
        if !p.is_file() {
            return Err(LoadError::NoEntry(format!(
                "{}: entry: {} does not exist",
                manifest_path.display(),
                p.display()
            )));
        }
        p
    } else {
        find_entry(&dir, registry).ok_or_else(|| {
            LoadError::NoEntry(format!(
                "function \"{name}\" has no entry file in {} (looked for {} and an executable bootstrap)",
                dir.display(),
                crate::discovery::ENTRY_FILES.join(", ")
            ))
        })?
    };
    let runtime = match m.and_then(|m| m.runtime.clone()) {
        Some(rt) => rt,
        None => detect_runtime(&dir, &entry, registry)
            .or_else(|| {
                (m.and_then(|m| m.build.as_ref()).is_some() && entry.extension().is_none()).then(|| "binary".into())
            })
            .ok_or_else(|| {
                LoadError::UnknownRuntime(format!(
                    "no runtime for {} (set `runtime` in {MANIFEST_FILE})",
                    entry.display()
                ))
            })?,
    };
    let env = m.map(|m| m.expanded_env(|k| lookup(host, k))).unwrap_or_default();
    Ok(FunctionDef { name: name.to_string(), dir, entry, runtime, manifest, env })
}
