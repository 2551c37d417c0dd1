//! Internal tokens (CONTRACT §7, §12): one per invocation. Without a secret,
//! 32 random bytes as 64 lower-case hex chars, valid while the call runs and
//! for at most the TTL. With `tokenSecret`, a signed self-contained token
//! (see `signed_token.rs`) that any runtime holding the same secret accepts
//! until its expiry; the issuing runtime also refuses it once the call ends.
//! Every comparison is constant-time and byte-exact (no case folding).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use subtle::ConstantTimeEq;

use crate::signed_token::{Signer, SIGNATURE_BYTES};

const TOKEN_BYTES: usize = 32;
/// Shortest `tokenSecret` accepted (CONTRACT §12).
pub const MIN_SECRET_BYTES: usize = 32;

/// What a token says about the call it was issued to (`tokenClaims`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Claims {
    pub function_name: String,
    pub request_id: String,
    /// Epoch milliseconds.
    pub expires_at: u64,
}

#[derive(Debug, Default)]
pub struct TokenStore {
    signer: Option<Signer>,
    /// Unsigned: the live tokens. Signed: tokens whose call ended before
    /// their expiry (refused here, still valid on other replicas).
    entries: Mutex<Vec<Entry>>,
    next_id: AtomicU64,
}

#[derive(Debug)]
struct Entry {
    id: u64,
    /// Unsigned: the token's random bytes. Signed: its signature.
    bytes: [u8; TOKEN_BYTES],
    expires: Instant,
    claims: Claims,
}

/// Keeps a token valid until dropped (the invocation ended) or it expires.
#[derive(Debug)]
pub struct TokenGuard {
    store: Arc<TokenStore>,
    id: u64,
    text: String,
    ended: Option<Entry>,
}

impl TokenGuard {
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl Drop for TokenGuard {
    fn drop(&mut self) {
        let mut entries = self.store.entries.lock().unwrap();
        match self.ended.take() {
            Some(revoked) => entries.push(revoked),
            None => entries.retain(|e| e.id != self.id),
        }
    }
}

impl TokenStore {
    /// `secret`: `tokenSecret`, at least [`MIN_SECRET_BYTES`] long.
    pub fn new(secret: Option<&str>) -> Result<Self, String> {
        let signer = match secret {
            Some(s) if s.len() < MIN_SECRET_BYTES => {
                return Err(format!("tokenSecret must be at least {MIN_SECRET_BYTES} bytes, got {}", s.len()))
            }
            Some(s) => Some(Signer::new(s.as_bytes())),
            None => None,
        };
        Ok(TokenStore { signer, ..TokenStore::default() })
    }

    /// A fresh token for one call. It expires at the earlier of
    /// `deadline_ms` (epoch ms) and now + `ttl`.
    pub fn issue(
        self: &Arc<Self>,
        ttl: Duration,
        function_name: &str,
        request_id: &str,
        deadline_ms: u64,
    ) -> std::io::Result<TokenGuard> {
        let now_ms = epoch_ms();
        let expires_at = deadline_ms.min(now_ms.saturating_add(ttl.as_millis() as u64));
        let expires = Instant::now() + Duration::from_millis(expires_at.saturating_sub(now_ms));
        let claims = Claims { function_name: function_name.into(), request_id: request_id.into(), expires_at };
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let store = Arc::clone(self);
        if let Some(signer) = &self.signer {
            let (text, signature) = signer.sign(&claims, &bytes[..16]);
            let ended = Some(Entry { id, bytes: signature, expires, claims });
            return Ok(TokenGuard { store, id, text, ended });
        }
        let text = hex::encode(bytes);
        self.entries.lock().unwrap().push(Entry { id, bytes, expires, claims });
        Ok(TokenGuard { store, id, text, ended: None })
    }

    pub fn verify(&self, token: &str) -> bool {
        self.claims(token).is_some()
    }

    /// The claims of a token `verify` accepts; `None` otherwise.
    pub fn claims(&self, token: &str) -> Option<Claims> {
        match &self.signer {
            Some(signer) => {
                let (claims, signature) = signer.verify(token, epoch_ms())?;
                let ended = self.find(&signature).is_some();
                (!ended).then_some(claims)
            }
            None => self.find(&from_hex(token)?),
        }
    }

    /// The unexpired entry holding `bytes`. Every entry is compared in full,
    /// so the time taken says nothing about which bytes matched.
    fn find(&self, bytes: &[u8; TOKEN_BYTES]) -> Option<Claims> {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap();
        entries.retain(|e| e.expires > now);
        let mut found = None;
        for e in entries.iter() {
            if bool::from(e.bytes.ct_eq(bytes)) {
                found = Some(e.claims.clone());
            }
        }
        found
    }
}

const _: () = assert!(SIGNATURE_BYTES == TOKEN_BYTES);

fn epoch_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Exactly the form `hex::encode` writes: 64 lower-case hex digits (the
/// `hex` crate's decoder also takes upper case, which must not verify).
fn from_hex(s: &str) -> Option<[u8; TOKEN_BYTES]> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    if s.len() != TOKEN_BYTES * 2 {
        return None;
    }
    let mut out = [0u8; TOKEN_BYTES];
    for (i, pair) in s.as_bytes().chunks(2).enumerate() {
        out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a test secret of at least 32 bytes!!";

    fn issue(store: &Arc<TokenStore>, ttl: Duration) -> TokenGuard {
        store.issue(ttl, "fn", "req-1", epoch_ms() + 60_000).unwrap()
    }

    #[test]
    fn token_is_64_lowercase_hex_valid_while_held_and_exact() {
        let store = Arc::new(TokenStore::default());
        let guard = issue(&store, Duration::from_secs(60));
        let t = guard.as_str().to_string();
        assert_eq!(t.len(), 64);
        assert!(t.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')));
        assert!(store.verify(&t));
        assert_eq!(store.claims(&t).unwrap().function_name, "fn");
        assert!(!store.verify(&t.to_uppercase()), "case folding would make redaction miss it");
        drop(guard);
        assert!(!store.verify(&t));
    }

    #[test]
    fn tokens_are_distinct_and_expire() {
        let store = Arc::new(TokenStore::default());
        let a = issue(&store, Duration::from_millis(30));
        let b = issue(&store, Duration::from_secs(60));
        assert_ne!(a.as_str(), b.as_str());
        std::thread::sleep(Duration::from_millis(60));
        assert!(!store.verify(a.as_str()), "expired by TTL though still held");
        assert!(store.verify(b.as_str()));
    }

    #[test]
    fn garbage_is_rejected() {
        let store = Arc::new(TokenStore::default());
        let _g = issue(&store, Duration::from_secs(60));
        for t in ["", "zz", &"g".repeat(64), &"0".repeat(64), &"é".repeat(32)] {
            assert!(!store.verify(t), "{t}");
        }
    }

    #[test]
    fn short_secret_is_refused() {
        assert!(TokenStore::new(Some("too short")).unwrap_err().contains("at least 32 bytes"));
    }

    #[test]
    fn signed_token_verifies_on_a_replica_until_expiry_and_ends_on_its_issuer() {
        let issuer = Arc::new(TokenStore::new(Some(SECRET)).unwrap());
        let replica = TokenStore::new(Some(SECRET)).unwrap();
        let other = TokenStore::new(Some("another secret, also 32 bytes long")).unwrap();
        let guard = issuer.issue(Duration::from_secs(60), "hello", "r-9", epoch_ms() + 10_000).unwrap();
        let t = guard.as_str().to_string();
        assert!(t.bytes().all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(&c)), "URL-safe: {t}");
        assert!(issuer.verify(&t) && replica.verify(&t));
        let claims = replica.claims(&t).unwrap();
        assert_eq!((claims.function_name.as_str(), claims.request_id.as_str()), ("hello", "r-9"));
        assert!(!other.verify(&t), "a different secret");
        drop(guard);
        assert!(!issuer.verify(&t), "the call ended");
        assert!(replica.verify(&t), "the replica cannot know; it trusts the expiry");
    }

    #[test]
    fn signed_token_expires_at_the_deadline() {
        let issuer = Arc::new(TokenStore::new(Some(SECRET)).unwrap());
        let _g = issuer.issue(Duration::from_secs(60), "f", "r", epoch_ms() + 40).unwrap();
        let t = _g.as_str().to_string();
        assert!(issuer.verify(&t));
        std::thread::sleep(Duration::from_millis(80));
        assert!(!issuer.verify(&t));
    }
}
