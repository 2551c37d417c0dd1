//! Signed internal tokens (CONTRACT §12): `<claims>.<signature>`, both
//! base64url without padding. The claims are JSON (function, request id,
//! expiry in epoch ms, a random nonce so no two calls share a token); the
//! signature is HMAC-SHA256 over the claims text. Self-contained: any
//! runtime holding the secret checks one without asking the issuer.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::token::Claims;

pub const SIGNATURE_BYTES: usize = 32;

#[derive(Serialize, Deserialize)]
struct Wire {
    f: String,
    r: String,
    e: u64,
    n: String,
}

/// Holds the key; its `Debug` never prints it.
pub struct Signer {
    key: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer([secret])")
    }
}

impl Signer {
    pub fn new(key: &[u8]) -> Self {
        Signer { key: key.to_vec() }
    }

    fn mac(&self, claims_text: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        mac.update(claims_text.as_bytes());
        mac
    }

    /// The token and its signature bytes.
    pub fn sign(&self, claims: &Claims, nonce: &[u8]) -> (String, [u8; SIGNATURE_BYTES]) {
        let wire = Wire {
            f: claims.function_name.clone(),
            r: claims.request_id.clone(),
            e: claims.expires_at,
            n: URL_SAFE_NO_PAD.encode(nonce),
        };
        let claims_text = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&wire).expect("serialises"));
        let signature: [u8; SIGNATURE_BYTES] = self.mac(&claims_text).finalize().into_bytes().into();
        (format!("{claims_text}.{}", URL_SAFE_NO_PAD.encode(signature)), signature)
    }

    /// The claims and signature of a token signed with this key and not
    /// expired at `now_ms`. The signature is checked in constant time; its
    /// base64 must be canonical, so only the exact bytes issued pass.
    pub fn verify(&self, token: &str, now_ms: u64) -> Option<(Claims, [u8; SIGNATURE_BYTES])> {
        let (claims_text, signature_text) = token.split_once('.')?;
        let signature = URL_SAFE_NO_PAD.decode(signature_text).ok()?;
        self.mac(claims_text).verify_slice(&signature).ok()?;
        let wire: Wire = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims_text).ok()?).ok()?;
        if wire.e <= now_ms || URL_SAFE_NO_PAD.encode(&signature) != signature_text {
            return None;
        }
        let claims = Claims { function_name: wire.f, request_id: wire.r, expires_at: wire.e };
        Some((claims, signature.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(expires_at: u64) -> Claims {
        Claims { function_name: "f".into(), request_id: "r".into(), expires_at }
    }

    #[test]
    fn any_changed_byte_is_refused() {
        let signer = Signer::new(b"0123456789abcdef0123456789abcdef");
        let (token, _) = signer.sign(&claims(u64::MAX), b"nonce");
        assert!(signer.verify(&token, 0).is_some());
        for i in 0..token.len() {
            let mut bytes = token.clone().into_bytes();
            for replacement in [b'A', b'z', b'.', b'_'] {
                if token.as_bytes()[i] == replacement {
                    continue;
                }
                bytes[i] = replacement;
                let tampered = String::from_utf8(bytes.clone()).unwrap();
                assert!(signer.verify(&tampered, 0).is_none(), "{tampered}");
            }
        }
        assert!(signer.verify(&token.to_uppercase(), 0).is_none());
        assert!(signer.verify(&format!("{token}="), 0).is_none());
    }

    #[test]
    fn expired_is_refused() {
        let signer = Signer::new(b"k");
        let (token, _) = signer.sign(&claims(1000), b"n");
        assert!(signer.verify(&token, 999).is_some());
        assert!(signer.verify(&token, 1000).is_none());
    }
}
