//! Webhook signatures (CONTRACT §13): the HMAC of the raw body, in hex,
//! optionally prefixed GitHub-style (`sha256=…`), compared in constant time.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;

/// True when `signature` is the `algorithm` (`hmac-sha256` or `hmac-sha1`)
/// HMAC of `body` under `secret`. An empty secret never verifies: an unset
/// `${VAR}` must not turn into a key anyone can use.
pub fn verify(algorithm: &str, secret: &[u8], body: &[u8], signature: &str) -> bool {
    if secret.is_empty() {
        return false;
    }
    let hex_text = strip_prefix(signature.trim());
    let Ok(expected) = hex::decode(hex_text) else { return false };
    match algorithm {
        "hmac-sha256" => check::<Hmac<Sha256>>(secret, body, &expected),
        "hmac-sha1" => check::<Hmac<Sha1>>(secret, body, &expected),
        _ => false,
    }
}

/// `sha256=ab…`, `sha1=ab…` (any case) → `ab…`.
fn strip_prefix(signature: &str) -> &str {
    match signature.split_once('=') {
        Some((name, rest)) if name.eq_ignore_ascii_case("sha256") || name.eq_ignore_ascii_case("sha1") => rest,
        _ => signature,
    }
}

fn check<M: Mac + hmac::digest::KeyInit>(secret: &[u8], body: &[u8], expected: &[u8]) -> bool {
    let Ok(mut mac) = <M as hmac::digest::KeyInit>::new_from_slice(secret) else { return false };
    mac.update(body);
    // verify_slice compares in constant time (subtle).
    mac.verify_slice(expected).is_ok()
}

/// The hex signature a sender computes; for tests.
#[cfg(test)]
pub fn sign(algorithm: &str, secret: &[u8], body: &[u8]) -> Option<String> {
    fn hex_of<M: Mac + hmac::digest::KeyInit>(secret: &[u8], body: &[u8]) -> Option<String> {
        let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(secret).ok()?;
        mac.update(body);
        Some(hex::encode(mac.finalize().into_bytes()))
    }
    match algorithm {
        "hmac-sha256" => hex_of::<Hmac<Sha256>>(secret, body),
        "hmac-sha1" => hex_of::<Hmac<Sha1>>(secret, body),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        // RFC 4231 test case 2 (HMAC-SHA256) and RFC 2202 test case 2 (HMAC-SHA1).
        let body = b"what do ya want for nothing?";
        let sha256 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        let sha1 = "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79";
        assert_eq!(sign("hmac-sha256", b"Jefe", body).as_deref(), Some(sha256));
        assert_eq!(sign("hmac-sha1", b"Jefe", body).as_deref(), Some(sha1));
        assert!(verify("hmac-sha256", b"Jefe", body, sha256));
        assert!(verify("hmac-sha1", b"Jefe", body, sha1));
    }

    #[test]
    fn prefixes_case_and_rejections() {
        let sig = sign("hmac-sha256", b"s3cret", b"{}").unwrap();
        // (algorithm, secret, body, signature, verifies)
        type Case<'a> = (&'a str, &'a [u8], &'a [u8], String, bool);
        let cases: &[Case] = &[
            ("hmac-sha256", b"s3cret", b"{}", sig.clone(), true),
            ("hmac-sha256", b"s3cret", b"{}", format!("sha256={sig}"), true),
            ("hmac-sha256", b"s3cret", b"{}", format!("SHA256={}", sig.to_uppercase()), true),
            ("hmac-sha256", b"s3cret", b"{} ", sig.clone(), false),
            ("hmac-sha256", b"other", b"{}", sig.clone(), false),
            ("hmac-sha256", b"", b"{}", sign("hmac-sha256", b"", b"{}").unwrap(), false),
            ("hmac-sha256", b"s3cret", b"{}", sig[..40].to_string(), false),
            ("hmac-sha256", b"s3cret", b"{}", "zz".to_string(), false),
            ("hmac-sha256", b"s3cret", b"{}", String::new(), false),
            ("hmac-sha1", b"s3cret", b"{}", sig.clone(), false),
            ("hmac-md5", b"s3cret", b"{}", sig.clone(), false),
        ];
        for (algorithm, secret, body, signature, want) in cases {
            assert_eq!(verify(algorithm, secret, body, signature), *want, "{algorithm} {signature:?}");
        }
    }
}
