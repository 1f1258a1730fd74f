//! Is this HTTP request from Slack? Slack signs `v0:<timestamp>:<body>` with the app's
//! signing secret (HMAC-SHA256) and sends `X-Slack-Signature: v0=<hex>` and
//! `X-Slack-Request-Timestamp`. A request is accepted only when both headers are present,
//! the timestamp is within five minutes of now (so a captured request cannot be replayed
//! later), and the signature matches (compared in constant time).
//!
//! The HMAC is computed here rather than with slack-morphism's verifier because that one
//! reads the clock itself, and the window must be testable with a given "now".

use sha2::{Digest, Sha256};

/// Largest allowed distance between Slack's timestamp and our clock, in seconds.
pub const MAX_AGE_SECONDS: i64 = 5 * 60;

/// Why a request was refused (answered with `401`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A signature header is missing.
    #[error("the request is not signed (missing {0})")]
    Missing(&'static str),
    /// The timestamp is not a number of seconds.
    #[error("the request timestamp is not a number")]
    BadTimestamp,
    /// The timestamp is too far from now.
    #[error("the request timestamp is more than five minutes from now")]
    Stale,
    /// The signature does not match the body.
    #[error("the request signature does not match")]
    Mismatch,
}

/// Checks one request's headers and raw body against `secret` at `now` (Unix seconds).
pub fn verify(
    secret: &str,
    signature: Option<&str>,
    timestamp: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let signature = signature.ok_or(SignatureError::Missing("X-Slack-Signature"))?;
    let timestamp = timestamp.ok_or(SignatureError::Missing("X-Slack-Request-Timestamp"))?;
    let seconds: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    if (now - seconds).abs() > MAX_AGE_SECONDS {
        return Err(SignatureError::Stale);
    }
    let expected = sign(secret, timestamp.trim(), body);
    let matches = signature.len() == expected.len()
        && signature
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0;
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// `v0=<hex HMAC-SHA256(secret, "v0:<timestamp>:<body>")>`, as Slack computes it.
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    const BLOCK: usize = 64;
    let mut key = [0u8; BLOCK];
    if secret.len() > BLOCK {
        key[..32].copy_from_slice(&Sha256::digest(secret.as_bytes()));
    } else {
        key[..secret.len()].copy_from_slice(secret.as_bytes());
    }
    let pad = |byte: u8| key.map(|k| k ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(format!("v0:{timestamp}:"))
        .chain_update(body)
        .finalize();
    let outer = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    format!("v0={}", hex::encode(outer))
}

/// The current Unix time in seconds.
pub fn now_seconds() -> i64 {
    (crate::now_ms() / 1000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slack's documented example (api.slack.com/authentication/verifying-requests-from-slack).
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const TS: &str = "1531420618";
    const SIG: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    /// Signature header, timestamp header, body, now, expected outcome.
    type Case<'a> = (
        Option<&'a str>,
        Option<&'a str>,
        &'a str,
        i64,
        Result<(), SignatureError>,
    );

    #[test]
    fn only_fresh_matching_signatures_pass() {
        let now: i64 = TS.parse().unwrap();
        let bad_sig = SIG.replace("a211", "b211");
        let cases: [Case; 8] = [
            (Some(SIG), Some(TS), BODY, now, Ok(())),
            (Some(SIG), Some(TS), BODY, now + 299, Ok(())),
            (
                Some(SIG),
                Some(TS),
                BODY,
                now + 301,
                Err(SignatureError::Stale),
            ),
            (
                Some(SIG),
                Some(TS),
                BODY,
                now - 301,
                Err(SignatureError::Stale),
            ),
            (
                Some(&bad_sig),
                Some(TS),
                BODY,
                now,
                Err(SignatureError::Mismatch),
            ),
            (
                Some(SIG),
                Some(TS),
                "token=changed",
                now,
                Err(SignatureError::Mismatch),
            ),
            (
                None,
                Some(TS),
                BODY,
                now,
                Err(SignatureError::Missing("X-Slack-Signature")),
            ),
            (
                Some(SIG),
                Some("soon"),
                BODY,
                now,
                Err(SignatureError::BadTimestamp),
            ),
        ];
        for (i, (sig, ts, body, at, expected)) in cases.into_iter().enumerate() {
            assert_eq!(
                verify(SECRET, sig, ts, body.as_bytes(), at),
                expected,
                "case {i}"
            );
        }
        assert_eq!(sign(SECRET, TS, BODY.as_bytes()), SIG);
        assert_eq!(
            verify(SECRET, Some(SIG), None, BODY.as_bytes(), now),
            Err(SignatureError::Missing("X-Slack-Request-Timestamp"))
        );
    }
}
