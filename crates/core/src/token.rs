//! Internal tokens (CONTRACT §7): one per invocation, valid while it runs and
//! for at most the configured TTL, checked in constant time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use subtle::ConstantTimeEq;

const TOKEN_BYTES: usize = 32;

#[derive(Debug, Default)]
pub struct TokenStore {
    live: Mutex<Vec<Live>>,
    next_id: AtomicU64,
}

#[derive(Debug)]
struct Live {
    id: u64,
    bytes: [u8; TOKEN_BYTES],
    expires: Instant,
}

/// Keeps a token valid until dropped (the invocation ended) or its TTL passes.
#[derive(Debug)]
pub struct TokenGuard {
    store: Arc<TokenStore>,
    id: u64,
    hex: String,
}

impl TokenGuard {
    pub fn as_str(&self) -> &str {
        &self.hex
    }
}

impl Drop for TokenGuard {
    fn drop(&mut self) {
        self.store.live.lock().unwrap().retain(|l| l.id != self.id);
    }
}

impl TokenStore {
    /// A fresh token from the OS's random source.
    pub fn issue(self: &Arc<Self>, ttl: Duration) -> std::io::Result<TokenGuard> {
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let hex = to_hex(&bytes);
        self.live.lock().unwrap().push(Live { id, bytes, expires: Instant::now() + ttl });
        Ok(TokenGuard { store: Arc::clone(self), id, hex })
    }

    /// True only for a live, unexpired token. Every live token is compared in
    /// full so the time taken says nothing about which bytes matched.
    pub fn verify(&self, token: &str) -> bool {
        let Some(candidate) = from_hex(token) else {
            return false;
        };
        let now = Instant::now();
        let mut live = self.live.lock().unwrap();
        live.retain(|l| l.expires > now);
        let mut found = subtle::Choice::from(0);
        for l in live.iter() {
            found |= l.bytes.ct_eq(&candidate);
        }
        found.into()
    }
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(s: &str) -> Option<[u8; TOKEN_BYTES]> {
    if s.len() != TOKEN_BYTES * 2 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; TOKEN_BYTES];
    for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
        out[i] = u8::from_str_radix(std::str::from_utf8(chunk).ok()?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_64_hex_and_valid_while_held() {
        let store = Arc::new(TokenStore::default());
        let guard = store.issue(Duration::from_secs(60)).unwrap();
        let t = guard.as_str().to_string();
        assert_eq!(t.len(), 64);
        assert!(t.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(store.verify(&t));
        assert!(store.verify(&t.to_uppercase()));
        drop(guard);
        assert!(!store.verify(&t));
    }

    #[test]
    fn tokens_are_distinct_and_expire() {
        let store = Arc::new(TokenStore::default());
        let a = store.issue(Duration::from_millis(30)).unwrap();
        let b = store.issue(Duration::from_secs(60)).unwrap();
        assert_ne!(a.as_str(), b.as_str());
        std::thread::sleep(Duration::from_millis(60));
        assert!(!store.verify(a.as_str()), "expired by TTL though still held");
        assert!(store.verify(b.as_str()));
    }

    #[test]
    fn garbage_is_rejected() {
        let store = Arc::new(TokenStore::default());
        let _g = store.issue(Duration::from_secs(60)).unwrap();
        for t in ["", "zz", &"g".repeat(64), &"0".repeat(64), &"é".repeat(32)] {
            assert!(!store.verify(t), "{t}");
        }
    }
}
