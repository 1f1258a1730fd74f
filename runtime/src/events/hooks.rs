//! `POST /hooks/<plugin>/<hook>`: inbound webhooks, and their per-hook secrets.
//!
//! | answer | when |
//! |---|---|
//! | `202 {"id": n}` | signed, fresh, within the size limit, for a granted hook; stored durably first |
//! | `404` | no such plugin, or it is not granted `webhook <hook>` (one answer for both) |
//! | `401` | signature missing, malformed, wrong, or its timestamp outside 5 minutes |
//! | `409` | the same signed request was accepted before (replay) |
//! | `413` | the body is larger than `events.max_body_bytes` (1 MiB by default) |
//!
//! The secret is made when an admin grants the hook (`cove grant <plugin> webhook <hook>`),
//! shown once in the grant's answer, sealed in the secrets store under a name users cannot
//! write ([`secret_name`]), and deleted when the grant is revoked.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::signature::{self, SignatureError};
use crate::app::Cove;
use crate::policy::Grant;
use crate::store::EventMeta;

/// Request headers never passed to a plugin: credentials meant for a proxy or for Cove.
const WITHHELD_HEADERS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];
/// Most headers passed to a plugin.
const MAX_HEADERS: usize = 64;

/// The secrets-store name of a hook's secret. User secret names are upper-case
/// (`GITHUB_TOKEN`), so no `cove secret set` can read, replace or collide with it.
pub fn secret_name(plugin: &str, hook: &str) -> String {
    format!("webhook:{plugin}/{hook}")
}

/// What granting or revoking `grant` means for hook secrets: a new secret for a newly
/// granted hook (returned, to be shown once), none kept for a revoked one.
pub fn on_grant_change(
    cove: &Cove,
    plugin: &str,
    grant: &Grant,
    granted: bool,
) -> anyhow::Result<Option<String>> {
    let Grant::Webhook(hook) = grant else {
        return Ok(None);
    };
    let name = secret_name(plugin, hook);
    if !granted {
        cove.store.remove_secret(&name)?;
        return Ok(None);
    }
    let mut bytes = [0u8; 32];
    chacha20poly1305::aead::rand_core::RngCore::fill_bytes(
        &mut chacha20poly1305::aead::OsRng,
        &mut bytes,
    );
    let secret = hex::encode(bytes);
    cove.permissions.set_secret(&name, secret.as_bytes())?;
    Ok(Some(secret))
}

/// The sentence shown once after granting a hook.
pub fn secret_notice(plugin: &str, hook: &str, secret: &str) -> String {
    format!(
        "Webhook secret for /hooks/{plugin}/{hook} (shown once; revoke and grant again to replace it): {secret}\n\
         Sign each request with HMAC-SHA256 of the body using this secret: GitHub's \
         `X-Hub-Signature-256: sha256=<hex>`, or `X-Cove-Signature: t=<unix secs>,v1=<hex of \"<t>.<body>\">`."
    )
}

/// The public webhook route. It needs no admin token: each request carries its signature.
pub fn routes(cove: Arc<Cove>) -> Router {
    let limit = usize::try_from(cove.config.events.max_body_bytes).unwrap_or(usize::MAX);
    Router::new()
        .route("/hooks/{plugin}/{hook}", axum::routing::post(receive))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(cove)
}

fn answer(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "error": message.into() }))).into_response()
}

async fn receive(
    State(cove): State<Arc<Cove>>,
    Path((plugin, hook)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let refused = |status: StatusCode, message: String| {
        cove.metrics.event("refused");
        tracing::info!(%plugin, %hook, status = status.as_u16(), "webhook refused: {message}");
        answer(status, message)
    };
    let verified = match authenticate(&cove, &plugin, &hook, &headers, &body) {
        Ok(verified) => verified,
        Err((status, message)) => return refused(status, message),
    };
    let meta = EventMeta {
        plugin: plugin.clone(),
        kind: "webhook".into(),
        name: hook.clone(),
        headers: passed_headers(&headers),
        received_ms: crate::now_ms(),
        attempts: 0,
        last_error: None,
    };
    let replay_key = verified
        .replay_key
        .map(|key| [secret_name(&plugin, &hook).as_bytes(), b"\n", &key].concat());
    let replay = replay_key
        .as_deref()
        .map(|key| (key, verified.remember_until));
    match cove.events.accept(&meta, &body, replay).await {
        Ok(Some(id)) => {
            cove.metrics.event("accepted");
            (StatusCode::ACCEPTED, axum::Json(json!({ "id": id }))).into_response()
        }
        Ok(None) => refused(StatusCode::CONFLICT, SignatureError::Replayed.to_string()),
        Err(e) => {
            tracing::error!(%plugin, %hook, "cannot queue a webhook: {e:#}");
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                "the event could not be stored; retry later",
            )
        }
    }
}

/// The hook's secret, and the request's signature checked against it; otherwise the
/// status and sentence to refuse with. An unknown plugin and an ungranted hook look the same.
fn authenticate(
    cove: &Cove,
    plugin: &str,
    hook: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<signature::Verified, (StatusCode, String)> {
    let installed = cove.registry.snapshot().plugin(plugin).is_some();
    let secret = match installed && cove.permissions.grants(plugin).receives_webhook(hook) {
        true => cove.permissions.secret_value(&secret_name(plugin, hook)),
        false => Ok(None),
    };
    let secret = match secret {
        Ok(Some(secret)) => secret,
        Ok(None) => {
            let message = format!("no webhook /hooks/{plugin}/{hook} is enabled");
            return Err((StatusCode::NOT_FOUND, message));
        }
        Err(e) => {
            tracing::error!(%plugin, %hook, "cannot read the hook secret: {e:#}");
            let message = "the secret store failed".to_string();
            return Err((StatusCode::INTERNAL_SERVER_ERROR, message));
        }
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let bearer_allowed = cove
        .config
        .events
        .token_hooks
        .iter()
        .any(|h| *h == format!("{plugin}/{hook}"));
    let now = crate::now_ms() / 1000;
    signature::verify(header, secret.as_bytes(), body, now, bearer_allowed).map_err(|e| {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNAUTHORIZED);
        (status, e.to_string())
    })
}

/// The headers a plugin receives: lower-case names, UTF-8 values, credentials withheld.
fn passed_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| !WITHHELD_HEADERS.contains(&name.as_str()))
        .filter_map(|(name, value)| {
            Some((name.as_str().to_string(), value.to_str().ok()?.to_string()))
        })
        .take(MAX_HEADERS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hook_secrets_cannot_collide_with_user_secrets() {
        let name = secret_name("alerts", "alertmanager");
        assert_eq!(name, "webhook:alerts/alertmanager");
        assert!(!name.chars().next().unwrap().is_ascii_uppercase());
    }

    #[test]
    fn credentials_are_withheld() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Bearer x".parse().unwrap());
        headers.insert("x-github-event", "push".parse().unwrap());
        assert_eq!(
            passed_headers(&headers),
            vec![("x-github-event".to_string(), "push".to_string())]
        );
    }
}
