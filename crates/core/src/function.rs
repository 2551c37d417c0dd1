//! A function ready to run: where it is, what starts it, and its settings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::discovery::{detect_runtime, find_entry, function_dir, is_valid_name};
use crate::outcome::{Code, ErrorInfo};
use crate::registry::Registry;

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDef {
    pub name: String,
    pub dir: PathBuf,
    pub entry: PathBuf,
    pub runtime: String,
    pub timeout_ms: Option<u64>,
    pub memory_mb: Option<u64>,
    /// Manifest env, expanded.
    pub env: BTreeMap<String, String>,
    pub concurrency: Option<u32>,
}

/// Looks a function up by name, refusing names that could leave `root`.
pub fn resolve(root: &Path, name: &str, registry: &Registry) -> Result<FunctionDef, ErrorInfo> {
    if !is_valid_name(name) {
        return Err(ErrorInfo::new(
            Code::InvalidFunctionName,
            format!("invalid function name {name:?}: must match ^[A-Za-z0-9][A-Za-z0-9_-]*$"),
        ));
    }
    let not_found = || ErrorInfo::new(Code::FunctionNotFound, format!("no function named \"{name}\" in {}", root.display()));
    let dir = function_dir(root, name)
        .map_err(|e| ErrorInfo::new(Code::InvalidFunctionName, e))?
        .ok_or_else(not_found)?;
    let entry = find_entry(&dir, registry).ok_or_else(|| {
        ErrorInfo::new(Code::FunctionNotFound, format!("function \"{name}\" has no entry file in {}", dir.display()))
    })?;
    let runtime = detect_runtime(&dir, &entry, registry).ok_or_else(|| {
        ErrorInfo::new(Code::RuntimeNotFound, format!("no runtime handles {}", entry.display()))
    })?;
    Ok(FunctionDef {
        name: name.to_string(),
        dir,
        entry,
        runtime,
        timeout_ms: None,
        memory_mb: None,
        env: BTreeMap::new(),
        concurrency: None,
    })
}
