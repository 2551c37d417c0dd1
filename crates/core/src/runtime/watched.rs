//! The narrow handle the watcher works through (`watch.rs`).

use std::path::PathBuf;

use tokio_util::sync::CancellationToken;

use super::Runtime;
use crate::build::BuildReport;
use crate::function::LoadError;
use crate::outcome::ErrorInfo;
use crate::registry::Launch;
use crate::watch::Watched;

/// What the watcher needs of a runtime, and nothing more.
impl Watched for Runtime {
    fn root(&self) -> PathBuf {
        self.functions_dir().to_path_buf()
    }

    fn closed_token(&self) -> CancellationToken {
        self.closed.clone()
    }

    fn known_names(&self) -> (Vec<String>, Vec<String>) {
        let c = self.catalog.read().unwrap();
        (c.functions.keys().cloned().collect(), c.diagnostics.iter().map(|d| d.name.clone()).collect())
    }

    fn build_output(&self, name: &str) -> Option<PathBuf> {
        let c = self.catalog.read().unwrap();
        c.functions.get(name)?.build().map(|b| PathBuf::from(&b.output))
    }

    fn refresh(&self, name: &str) -> Option<Result<(), LoadError>> {
        self.engine.pools.files_changed(Some(name));
        let host = self.host_env();
        self.catalog.write().unwrap().refresh(self.functions_dir(), name, self.registry(), &host)
    }

    fn builds_on_change(&self, name: &str) -> bool {
        let c = self.catalog.read().unwrap();
        let go = |runtime: &str| self.registry().get(runtime).is_some_and(|d| d.launch == Launch::GoBuild);
        c.functions.get(name).is_some_and(|f| f.build().is_some() || go(&f.runtime))
    }

    fn build<'a>(
        &'a self,
        name: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Option<BuildReport>, ErrorInfo>> + Send + 'a>> {
        Box::pin(Runtime::build(self, name))
    }
}
