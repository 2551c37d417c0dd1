//! What the manifest's `routes`, webhook hooks and database/auth hooks ask
//! of a runtime (CONTRACT §13), answered from the last scan. The HTTP
//! server, the event loop and the calls themselves are the host's (JS:
//! `lib/http.js`, `lib/events.js`); the core only decides.

use serde::Serialize;

use crate::env::lookup;
use crate::manifest::{expand_vars, parse_duration};
use crate::routes::{webhook, RouteMatch};
use crate::runtime::Runtime;

/// A function whose hook matches an event, in function-name order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventHook {
    pub function: String,
    /// "sync" or "async" (the default, as in Alyx).
    pub mode: String,
    /// The hook's `config.timeout`, when set.
    pub timeout_ms: Option<u64>,
}

impl Runtime {
    /// Which function serves `method` `path` (no query string, no prefix).
    pub fn match_route(&self, method: &str, path: &str) -> RouteMatch {
        self.catalog().routes.find(method, path)
    }

    /// Checks a webhook's signature header against the raw body with the
    /// hook's secret, `${VAR}`-expanded from the host environment. False
    /// when the function or hook is gone, or the secret expands to "".
    pub fn verify_webhook(&self, function: &str, hook: usize, body: &[u8], signature: &str) -> bool {
        let verification = {
            let catalog = self.catalog();
            let hooks = catalog.functions.get(function).and_then(|f| f.manifest.as_ref()).map(|m| &m.hooks);
            match hooks.and_then(|h| h.get(hook)).and_then(|h| h.verification.clone()) {
                Some(v) => v,
                None => return false,
            }
        };
        let host = self.host_env();
        let secret = expand_vars(&verification.secret, &|k| lookup(&host, k));
        webhook::verify(&verification.r#type, secret.as_bytes(), body, signature)
    }

    /// Every `database`/`auth` hook matching the event, by function name.
    pub fn event_hooks(&self, kind: &str, source: &str, action: &str) -> Vec<EventHook> {
        let catalog = self.catalog();
        let mut found = Vec::new();
        for def in catalog.functions.values() {
            let Some(m) = &def.manifest else { continue };
            let matching = m.hooks.iter().filter(|h| {
                h.r#type == kind && h.source.as_deref() == Some(source) && h.action.as_deref() == Some(action)
            });
            for hook in matching {
                let timeout = hook.config.as_ref().and_then(|c| c.timeout.as_deref());
                found.push(EventHook {
                    function: def.name.clone(),
                    mode: hook.mode.clone().unwrap_or_else(|| "async".into()),
                    timeout_ms: timeout.and_then(|t| parse_duration(t).ok()).map(|d| d.as_millis() as u64),
                });
            }
        }
        found
    }
}
