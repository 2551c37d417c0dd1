//! The one error type: which field is wrong, and why.

use std::fmt;
use std::path::Path;

/// A manifest problem, tied to the field that causes it (`routes[0].methods`).
///
/// `field` is `(yaml)` for syntax errors and a document that is not a mapping,
/// and `(file)` when the file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    pub field: String,
    pub message: String,
}

impl ManifestError {
    pub(crate) fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        ManifestError { field: field.into(), message: message.into() }
    }

    /// The same text as `Display`, naming `path` instead of `manifest.yaml`.
    pub fn in_file(self, path: &Path) -> String {
        format!("{}: {}: {}", path.display(), self.field, self.message)
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "manifest.yaml: {}: {}", self.field, self.message)
    }
}

impl std::error::Error for ManifestError {}
