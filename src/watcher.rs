//! `NativeWatcher`: the handle of a running directory watcher.

use std::sync::Arc;

use alyx_core::watch::Watcher;
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// A running watcher; `close()` frees its OS watches and its callback.
#[napi]
pub struct NativeWatcher {
    pub(crate) inner: Arc<tokio::sync::Mutex<Option<Watcher>>>,
}

#[napi]
impl NativeWatcher {
    /// Resolves once no further event can be delivered.
    #[napi]
    pub async fn close(&self) -> Result<()> {
        if let Some(mut watcher) = self.inner.lock().await.take() {
            watcher.close().await;
        }
        Ok(())
    }
}
