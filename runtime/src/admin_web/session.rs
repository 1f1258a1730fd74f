//! Sign-in sessions, CSRF tokens and the cookies that carry them.
//!
//! | cookie | set by | holds | lifetime |
//! |---|---|---|---|
//! | `cove_session` | `POST /admin/login` with the admin token | random session id (the CSRF token stays server-side) | [`SESSION_TTL`] |
//! | `cove_login` | `GET /admin/login` | random value the login form repeats (double submit) | 1 hour |
//! | `cove_flash` | any form action | the one-line outcome shown after the redirect | 1 minute |
//!
//! Every cookie is `HttpOnly; Secure; SameSite=Strict; Path=/admin`. Browsers treat
//! `http://127.0.0.1` as a secure context, so `Secure` cookies work on a loopback listener too.
//! Sessions live in memory: a restart signs everyone out, which is the safe direction.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, header};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "cove_session";
/// The pre-sign-in CSRF cookie's name.
pub const LOGIN_COOKIE: &str = "cove_login";
/// The flash-message cookie's name.
pub const FLASH_COOKIE: &str = "cove_flash";
/// How long a sign-in lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// At most this many live sessions; the oldest is dropped to make room.
const MAX_SESSIONS: usize = 1000;

/// A signed-in browser: its CSRF token, which every form must repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The random id in the cookie.
    pub id: String,
    /// The per-session CSRF token in every form.
    pub csrf: String,
    expires: Instant,
}

/// The live sessions, in memory.
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// Starts a session that lasts `ttl`.
    pub fn create(&self, ttl: Duration) -> Session {
        let now = Instant::now();
        let session = Session {
            id: random_hex(32),
            csrf: random_hex(32),
            expires: now + ttl,
        };
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, s| s.expires > now);
        if map.len() >= MAX_SESSIONS
            && let Some(oldest) = map.values().min_by_key(|s| s.expires).map(|s| s.id.clone())
        {
            map.remove(&oldest);
        }
        map.insert(session.id.clone(), session.clone());
        session
    }

    /// The live session with this id, if any (an expired one is dropped).
    pub fn get(&self, id: &str) -> Option<Session> {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(id) {
            Some(s) if s.expires > Instant::now() => Some(s.clone()),
            Some(_) => {
                map.remove(id);
                None
            }
            None => None,
        }
    }

    /// Ends a session (sign-out).
    pub fn remove(&self, id: &str) {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    /// The session named by the request's cookie.
    pub fn from_headers(&self, headers: &HeaderMap) -> Option<Session> {
        cookie(headers, SESSION_COOKIE).and_then(|id| self.get(id))
    }
}

/// Whether a form's CSRF field matches the session's token, compared in constant time.
pub fn csrf_ok(session: &Session, presented: Option<&str>) -> bool {
    presented.is_some_and(|p| crate::constant_time_eq(p.as_bytes(), session.csrf.as_bytes()))
}

/// `n` random bytes from the OS, hex-encoded.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    chacha20poly1305::aead::rand_core::RngCore::fill_bytes(
        &mut chacha20poly1305::aead::OsRng,
        &mut bytes,
    );
    hex::encode(bytes)
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value with the flags every Cove cookie carries; `max_age` 0 deletes it.
pub fn set_cookie(name: &str, value: &str, max_age: Duration) -> String {
    format!(
        "{name}={value}; HttpOnly; Secure; SameSite=Strict; Path=/admin; Max-Age={}",
        max_age.as_secs()
    )
}

/// A flash message for the page after a redirect: `ok` or `error`, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// True for a success banner, false for an error banner.
    pub ok: bool,
    /// The sentence to show (escaped when rendered).
    pub text: String,
}

impl Flash {
    /// The cookie value: `ok:` or `err:` then the text, percent-encoded (cookie-safe).
    pub fn encode(&self) -> String {
        let kind = if self.ok { "ok" } else { "err" };
        let text: String = url::form_urlencoded::byte_serialize(self.text.as_bytes()).collect();
        format!("{kind}:{text}")
    }

    /// Reads a cookie value written by [`Flash::encode`]; anything else is ignored.
    pub fn decode(value: &str) -> Option<Flash> {
        let (kind, text) = value.split_once(':')?;
        let ok = match kind {
            "ok" => true,
            "err" => false,
            _ => return None,
        };
        let text = url::form_urlencoded::parse(format!("t={text}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())?;
        Some(Flash { ok, text })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn sessions_expire_and_end() {
        let sessions = Sessions::default();
        let live = sessions.create(Duration::from_secs(60));
        assert_eq!(sessions.get(&live.id), Some(live.clone()));
        assert_eq!(live.id.len(), 64);
        assert_ne!(live.id, live.csrf);
        let gone = sessions.create(Duration::ZERO);
        assert_eq!(
            sessions.get(&gone.id),
            None,
            "an expired session is refused"
        );
        assert_eq!(sessions.get("not-a-session"), None);
        sessions.remove(&live.id);
        assert_eq!(sessions.get(&live.id), None, "sign-out ends the session");
    }

    #[test]
    fn csrf_needs_the_exact_token() {
        let session = Sessions::default().create(Duration::from_secs(60));
        assert!(csrf_ok(&session, Some(&session.csrf)));
        assert!(!csrf_ok(&session, None));
        assert!(!csrf_ok(&session, Some("")));
        assert!(!csrf_ok(&session, Some(&session.csrf[..63])));
        assert!(!csrf_ok(&session, Some(&session.id)));
    }

    #[test]
    fn cookies_are_read_from_every_header() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; cove_x=2"));
        headers.append(header::COOKIE, HeaderValue::from_static("cove_session=abc"));
        assert_eq!(cookie(&headers, "cove_session"), Some("abc"));
        assert_eq!(cookie(&headers, "cove_x"), Some("2"));
        assert_eq!(cookie(&headers, "cove"), None);
        let set = set_cookie(SESSION_COOKIE, "v", SESSION_TTL);
        for flag in [
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/admin",
            "Max-Age=43200",
        ] {
            assert!(set.contains(flag), "{set} lacks {flag}");
        }
    }

    #[test]
    fn flash_round_trips_any_text() {
        for (ok, text) in [
            (true, "Granted `net a.b`; ok"),
            (false, "<b>é \"x\"</b> 100%"),
        ] {
            let flash = Flash {
                ok,
                text: text.into(),
            };
            let encoded = flash.encode();
            assert!(!encoded.contains([';', ' ', '"', ',']), "{encoded}");
            assert_eq!(Flash::decode(&encoded), Some(flash));
        }
        assert_eq!(Flash::decode("warn:x"), None);
        assert_eq!(Flash::decode("nonsense"), None);
    }
}
