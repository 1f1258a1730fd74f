//! Webhook signatures: pure verification, no I/O. The caller looks up the hook's secret,
//! remembers accepted signatures against replay, and answers with [`SignatureError::status`].
//!
//! | header | value | signed bytes | replay defence |
//! |---|---|---|---|
//! | `X-Cove-Signature` | `t=<unix seconds>,v1=<hex>` | `"<t>.<body>"` | `t` within [`TOLERANCE_SECS`] of now, and each signature accepted once |
//! | `X-Hub-Signature-256` (GitHub) | `sha256=<hex>` | the body | each `X-GitHub-Delivery` id (or signature) accepted once while remembered |
//!
//! | `Authorization: Bearer <secret>` | – | – | none: only for hooks listed in `events.token_hooks` |
//!
//! Both signatures are HMAC-SHA256 with the per-hook secret, compared in constant time. When
//! both headers are present, `X-Cove-Signature` is the one checked (it carries a timestamp).
//! The bearer form exists for senders that cannot sign at all (Alertmanager): the secret
//! itself travels, so it needs TLS and gives no replay defence; an admin opts in per hook.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far the timestamp of an `X-Cove-Signature` may be from the server's clock.
pub const TOLERANCE_SECS: u64 = 300;

/// The generic signature header.
pub const COVE_HEADER: &str = "x-cove-signature";
/// GitHub's signature header.
pub const GITHUB_HEADER: &str = "x-hub-signature-256";

/// Why a request's signature is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error(
        "the request is not signed: send X-Cove-Signature (t=<unix secs>,v1=<hex hmac>) or X-Hub-Signature-256 (sha256=<hex hmac>)"
    )]
    Missing,
    #[error("the signature header is malformed: {0}")]
    Malformed(&'static str),
    #[error("the signature does not match the body and this hook's secret")]
    Mismatch,
    #[error(
        "the signature timestamp is {age} s away from the server's clock (at most {TOLERANCE_SECS} s allowed)"
    )]
    Stale { age: u64 },
    #[error("this request was already accepted once (replay refused)")]
    Replayed,
}

impl SignatureError {
    /// The HTTP status a refusal is answered with.
    pub fn status(&self) -> u16 {
        match self {
            SignatureError::Replayed => 409,
            _ => 401,
        }
    }
}

/// A signature that verified: the key under which it is remembered against replay, and
/// until when (unix seconds) it must be remembered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Unique per accepted request: the MAC, or GitHub's delivery id; `None` for a bearer
    /// token, which is the same on every request.
    pub replay_key: Option<Vec<u8>>,
    /// After this time a replay is refused by the timestamp check (or, for GitHub, no
    /// longer detected).
    pub remember_until: u64,
}

/// How long a GitHub delivery id is remembered: GitHub signatures carry no timestamp.
pub const GITHUB_REMEMBER_SECS: u64 = 24 * 3600;

/// The HMAC-SHA256 of `parts` (concatenated) with `secret`.
fn mac(secret: &[u8], parts: &[&[u8]]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac
}

/// The `X-Cove-Signature` value for `body` signed at `t`: what senders compute.
pub fn sign_cove(secret: &[u8], t: u64, body: &[u8]) -> String {
    let tag = mac(secret, &[t.to_string().as_bytes(), b".", body]).finalize();
    format!("t={t},v1={}", hex::encode(tag.into_bytes()))
}

/// The `X-Hub-Signature-256` value GitHub sends for `body`.
pub fn sign_github(secret: &[u8], body: &[u8]) -> String {
    let tag = mac(secret, &[body]).finalize();
    format!("sha256={}", hex::encode(tag.into_bytes()))
}

/// Checks whichever signature header is present (or, when `bearer_allowed`, a bearer
/// token). `header` looks a header up by its lower-case name; `now` is unix seconds.
pub fn verify<'a>(
    header: impl Fn(&str) -> Option<&'a str>,
    secret: &[u8],
    body: &[u8],
    now: u64,
    bearer_allowed: bool,
) -> Result<Verified, SignatureError> {
    if let Some(value) = header(COVE_HEADER) {
        return verify_cove(value, secret, body, now);
    }
    if let Some(value) = header(GITHUB_HEADER) {
        verify_github(value, secret, body)?;
        let replay_key = match header("x-github-delivery") {
            Some(id) => format!("gh:{id}").into_bytes(),
            None => value.as_bytes().to_vec(),
        };
        return Ok(Verified {
            replay_key: Some(replay_key),
            remember_until: now + GITHUB_REMEMBER_SECS,
        });
    }
    match header("authorization").and_then(|v| v.strip_prefix("Bearer ")) {
        Some(token) if bearer_allowed => {
            if !crate::constant_time_eq(token.as_bytes(), secret) {
                return Err(SignatureError::Mismatch);
            }
            Ok(Verified {
                replay_key: None,
                remember_until: now,
            })
        }
        _ => Err(SignatureError::Missing),
    }
}

fn verify_cove(
    value: &str,
    secret: &[u8],
    body: &[u8],
    now: u64,
) -> Result<Verified, SignatureError> {
    let (mut t, mut v1) = (None, None);
    for part in value.split(',').map(str::trim) {
        match part.split_once('=') {
            Some(("t", x)) => t = Some(x),
            Some(("v1", x)) => v1 = Some(x),
            _ => {}
        }
    }
    let t: u64 = t
        .ok_or(SignatureError::Malformed("no t=<unix seconds>"))?
        .parse()
        .map_err(|_| SignatureError::Malformed("t is not a whole number of seconds"))?;
    let tag = decode_tag(v1.ok_or(SignatureError::Malformed("no v1=<hex>"))?)?;
    mac(secret, &[t.to_string().as_bytes(), b".", body])
        .verify_slice(&tag)
        .map_err(|_| SignatureError::Mismatch)?;
    // Checked after the MAC, so that an unsigned sender learns nothing about the clock.
    let age = now.abs_diff(t);
    if age > TOLERANCE_SECS {
        return Err(SignatureError::Stale { age });
    }
    Ok(Verified {
        replay_key: Some(tag),
        remember_until: t + TOLERANCE_SECS + 1,
    })
}

fn verify_github(value: &str, secret: &[u8], body: &[u8]) -> Result<(), SignatureError> {
    let hex_tag = value
        .trim()
        .strip_prefix("sha256=")
        .ok_or(SignatureError::Malformed("expected sha256=<hex>"))?;
    let tag = decode_tag(hex_tag)?;
    mac(secret, &[body])
        .verify_slice(&tag)
        .map_err(|_| SignatureError::Mismatch)
}

fn decode_tag(text: &str) -> Result<Vec<u8>, SignatureError> {
    let tag =
        hex::decode(text.trim()).map_err(|_| SignatureError::Malformed("the MAC is not hex"))?;
    if tag.len() != 32 {
        return Err(SignatureError::Malformed(
            "the MAC is not 32 bytes (64 hex digits)",
        ));
    }
    Ok(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"hook-secret";
    const BODY: &[u8] = br#"{"ok":true}"#;
    const NOW: u64 = 1_800_000_000;

    fn check(headers: &[(&str, &str)]) -> Result<Verified, SignatureError> {
        let find = |name: &str| headers.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        verify(find, SECRET, BODY, NOW, false)
    }

    #[test]
    fn signature_matrix() {
        let good = sign_cove(SECRET, NOW, BODY);
        let other_key = sign_cove(b"other", NOW, BODY);
        let old = sign_cove(SECRET, NOW - TOLERANCE_SECS - 1, BODY);
        let future = sign_cove(SECRET, NOW + TOLERANCE_SECS + 1, BODY);
        let edge = sign_cove(SECRET, NOW - TOLERANCE_SECS, BODY);
        let retimed = good.replace(&format!("t={NOW}"), &format!("t={}", NOW - 1));
        let gh = sign_github(SECRET, BODY);
        let gh_bad = sign_github(b"other", BODY);
        type Case<'a> = (Vec<(&'a str, &'a str)>, Result<(), SignatureError>);
        let table: Vec<Case> = vec![
            (vec![(COVE_HEADER, &good)], Ok(())),
            (vec![(COVE_HEADER, &edge)], Ok(())),
            (
                vec![(COVE_HEADER, &other_key)],
                Err(SignatureError::Mismatch),
            ),
            (vec![(COVE_HEADER, &retimed)], Err(SignatureError::Mismatch)),
            (
                vec![(COVE_HEADER, &old)],
                Err(SignatureError::Stale { age: 301 }),
            ),
            (
                vec![(COVE_HEADER, &future)],
                Err(SignatureError::Stale { age: 301 }),
            ),
            (
                vec![(COVE_HEADER, "v1=00")],
                Err(SignatureError::Malformed("no t=<unix seconds>")),
            ),
            (
                vec![(COVE_HEADER, "t=x,v1=00")],
                Err(SignatureError::Malformed(
                    "t is not a whole number of seconds",
                )),
            ),
            (
                vec![(COVE_HEADER, "t=1")],
                Err(SignatureError::Malformed("no v1=<hex>")),
            ),
            (
                vec![(COVE_HEADER, "t=1,v1=zz")],
                Err(SignatureError::Malformed("the MAC is not hex")),
            ),
            (
                vec![(COVE_HEADER, "t=1,v1=00ff")],
                Err(SignatureError::Malformed(
                    "the MAC is not 32 bytes (64 hex digits)",
                )),
            ),
            (vec![(GITHUB_HEADER, &gh)], Ok(())),
            (
                vec![(GITHUB_HEADER, &gh_bad)],
                Err(SignatureError::Mismatch),
            ),
            (
                vec![(GITHUB_HEADER, "sha1=abc")],
                Err(SignatureError::Malformed("expected sha256=<hex>")),
            ),
            (vec![], Err(SignatureError::Missing)),
            (vec![("x-other", "1")], Err(SignatureError::Missing)),
            // The timestamped header wins when both are sent.
            (
                vec![(GITHUB_HEADER, &gh), (COVE_HEADER, &old)],
                Err(SignatureError::Stale { age: 301 }),
            ),
        ];
        for (headers, expected) in table {
            assert_eq!(check(&headers).map(|_| ()), expected, "{headers:?}");
        }
    }

    #[test]
    fn replay_keys_identify_the_request() {
        let good = sign_cove(SECRET, NOW, BODY);
        let first = check(&[(COVE_HEADER, &good)]).unwrap();
        assert_eq!(first, check(&[(COVE_HEADER, &good)]).unwrap());
        assert_eq!(first.remember_until, NOW + TOLERANCE_SECS + 1);
        let gh = sign_github(SECRET, BODY);
        let delivered = check(&[(GITHUB_HEADER, &gh), ("x-github-delivery", "abc-1")]).unwrap();
        assert_eq!(delivered.replay_key.as_deref(), Some(&b"gh:abc-1"[..]));
        let redelivered = check(&[(GITHUB_HEADER, &gh), ("x-github-delivery", "abc-2")]).unwrap();
        assert_ne!(delivered.replay_key, redelivered.replay_key);
    }

    #[test]
    fn bearer_tokens_only_where_allowed() {
        let find =
            |value: &'static str| move |name: &str| (name == "authorization").then_some(value);
        let good = "Bearer hook-secret";
        assert_eq!(
            verify(find(good), SECRET, BODY, NOW, false),
            Err(SignatureError::Missing)
        );
        let verified = verify(find(good), SECRET, BODY, NOW, true).unwrap();
        assert_eq!(verified.replay_key, None);
        for bad in ["Bearer hook-secreT", "Bearer hook-secret2", "Bearer "] {
            assert_eq!(
                verify(find(bad), SECRET, BODY, NOW, true),
                Err(SignatureError::Mismatch),
                "{bad}"
            );
        }
        assert_eq!(
            verify(find("Basic x"), SECRET, BODY, NOW, true),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn statuses() {
        assert_eq!(SignatureError::Replayed.status(), 409);
        assert_eq!(SignatureError::Missing.status(), 401);
        assert_eq!(SignatureError::Stale { age: 1 }.status(), 401);
    }
}
