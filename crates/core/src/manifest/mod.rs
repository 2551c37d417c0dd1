//! `manifest.yaml`: parsing and validation (CONTRACT §5), compatible with the
//! manifests of Alyx (Go). Scalars are kept as written (`timeout: 30` → "30");
//! unknown keys are accepted and listed in `Manifest::unknown_keys`; errors
//! name the field:
//! `manifest.yaml: routes[0].methods: invalid method "FETCH"`.
//!
//! `runtime` is not checked against a list here (custom runtimes exist):
//! call [`Manifest::validate_runtime`].

mod decimal;
mod decode;
mod duration;
mod env_expand;
mod error;
mod memory;
mod sandbox;
mod schedule_formats;
mod types;
mod validate;
mod warm;
mod yaml_tree;

#[cfg(test)]
mod never_panics;
#[cfg(test)]
mod tests;

use std::path::Path;

pub use duration::parse_duration;
pub use env_expand::expand_vars;
pub use error::ManifestError;
pub use memory::{parse_memory_mb, MAX_MEMORY_MB};
pub use types::{BuildConfig, Hook, HookConfig, Manifest, Route, Schedule, UnknownKey, Verification};
pub use validate::DEFAULT_RUNTIMES;
pub use warm::{WarmMode, WarmSpec};

/// Parses and validates the text of a `manifest.yaml`.
pub fn parse_manifest(yaml_text: &str) -> Result<Manifest, ManifestError> {
    let tree = yaml_tree::load(yaml_text).map_err(|e| ManifestError::new("(yaml)", format!("invalid YAML: {e}")))?;
    let manifest = decode::decode(&tree)?;
    validate::validate(&manifest)?;
    Ok(manifest)
}

/// Reads, parses and validates a manifest file. A read error names the file;
/// use [`ManifestError::in_file`] to name it in the other errors too.
pub fn load_manifest(path: &Path) -> Result<Manifest, ManifestError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ManifestError::new("(file)", format!("cannot read {}: {e}", path.display())))?;
    parse_manifest(&text)
}
