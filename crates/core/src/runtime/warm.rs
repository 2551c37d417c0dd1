//! The runtime's warm processes (CONTRACT §10): started in the background
//! at construction, by `warmup()`, and again when a warm function's files
//! change.

use std::sync::Arc;

use super::Runtime;
use crate::env::EnvMap;
use crate::invoke::Engine;
use crate::outcome::ErrorInfo;
use crate::warm::PoolInfo;

impl Runtime {
    /// Starts `min` processes of every warm function, in the background
    /// (never blocking construction); failures show in `pools()`. Without
    /// a tokio runtime here, pools start on their first call instead.
    pub(super) fn warm_in_background(&self) {
        let Ok(handle) = tokio::runtime::Handle::try_current() else { return };
        let names = self.warm_names();
        if names.is_empty() {
            return;
        }
        let (engine, host) = (Arc::clone(&self.engine), self.host_env());
        let task = self.engine.pools.track(async move {
            for name in names {
                if let Ok(Some(pool)) = engine.warm_pool(&name, &host).await {
                    pool.top_up();
                }
            }
        });
        handle.spawn(task);
    }

    /// Functions the catalog knows that are warm (manifest or options).
    pub(super) fn warm_names(&self) -> Vec<String> {
        let catalog = self.catalog.read().unwrap();
        let mut names: Vec<String> =
            catalog.functions.values().filter(|f| self.engine.warm_spec(f).is_some()).map(|f| f.name.clone()).collect();
        names.extend(self.engine.warm.iter().filter(|(_, s)| s.is_some()).map(|(n, _)| n.clone()));
        names.sort();
        names.dedup();
        names
    }

    /// `warmup(name?)`: resolves once `min` processes of `name` (or of every
    /// warm function) are ready; fails with the first WORKER_START_FAILED.
    pub async fn warmup(&self, name: Option<&str>) -> Result<(), ErrorInfo> {
        let host = self.host_env();
        let names = match name {
            Some(name) => vec![name.to_string()],
            None => self.warm_names(),
        };
        for name in names {
            if let Some(pool) = self.engine.warm_pool(&name, &host).await? {
                pool.warmup().await?;
            }
        }
        Ok(())
    }

    /// `pools()`: every warm function's processes, by name.
    pub fn pools(&self) -> Vec<PoolInfo> {
        self.engine.pools.infos()
    }
}

/// How a warm pool whose files changed gets processes of the new files:
/// reload the function (rebuilding if needed) and top the pool up.
pub(super) fn refresh_warm(engine: &Arc<Engine>, host: Arc<EnvMap>) -> crate::warm::Refresh {
    let weak = Arc::downgrade(engine);
    let handle = tokio::runtime::Handle::try_current().ok();
    Box::new(move |name: &str| {
        let Some(engine) = weak.upgrade() else { return };
        let Some(handle) = tokio::runtime::Handle::try_current().ok().or_else(|| handle.clone()) else { return };
        let (name, host) = (name.to_string(), Arc::clone(&host));
        let task = engine.pools.track({
            let engine = Arc::clone(&engine);
            async move {
                if let Ok(Some(pool)) = engine.warm_pool(&name, &host).await {
                    pool.top_up();
                }
            }
        });
        handle.spawn(task);
    })
}
