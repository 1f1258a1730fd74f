//! The admin HTTP API under `/api/v1/`, served by `cove serve` next to the chat endpoint.
//! Every call needs `Authorization: Bearer <admin token>` and is audited as actor `api`.
//!
//! | method | path | does |
//! |---|---|---|
//! | GET | `/api/v1/plugins` | list plugins |
//! | POST | `/api/v1/plugins` | upload a component (`application/wasm` body) |
//! | GET | `/api/v1/plugins/{name}` | manifest, versions, requested and granted permissions |
//! | POST | `/api/v1/plugins/{name}/grants` | `{"grant": "net api.github.com"}` |
//! | DELETE | `/api/v1/plugins/{name}/grants` | `{"grant": "net api.github.com"}` |
//! | POST | `/api/v1/plugins/{name}/approve`, `/rollback` | approve the active version, roll back |
//! | DELETE | `/api/v1/plugins/{name}` | remove a plugin |
//! | GET | `/api/v1/secrets` | secret names (never values) |
//! | PUT / DELETE | `/api/v1/secrets/{NAME}` | set (raw body is the value) / remove |
//! | GET | `/api/v1/acl` | rules, default, admins |
//! | POST / DELETE | `/api/v1/acl` | `{"rule": "allow deploy role:oncall"}` |
//! | GET | `/api/v1/audit?plugin=&user=&limit=` | audit records, newest last |
//!
//! The token is `COVE_ADMIN_TOKEN`, or `admin.token` in the data directory (mode 0600),
//! generated on first start and printed once.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;

use crate::app::Cove;
use crate::install::Uploader;

/// Name of the token file inside the data directory.
pub const TOKEN_FILE: &str = "admin.token";
/// The audit actor of API calls.
const API_ACTOR: &str = "api";

/// The admin token, and whether it was created just now (so `serve` prints it once).
pub fn load_token(data_dir: &Path, from_env: Option<String>) -> anyhow::Result<(String, bool)> {
    if let Some(token) = from_env.filter(|t| !t.trim().is_empty()) {
        return Ok((token.trim().to_string(), false));
    }
    let path = data_dir.join(TOKEN_FILE);
    if path.exists() {
        let token = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        return Ok((token.trim().to_string(), false));
    }
    let mut bytes = [0u8; 32];
    chacha20poly1305::aead::rand_core::RngCore::fill_bytes(
        &mut chacha20poly1305::aead::OsRng,
        &mut bytes,
    );
    let token = hex::encode(bytes);
    crate::store::write_private(&path, token.as_bytes())?;
    Ok((token, true))
}

#[derive(Clone)]
struct ApiState {
    cove: Arc<Cove>,
    token: Arc<str>,
}

/// The `/api/v1/` routes (everything but chat messages), behind the token check.
pub fn routes(cove: Arc<Cove>, token: String) -> Router {
    let upload_limit = cove.config.limits.max_plugin_bytes as usize;
    let state = ApiState {
        cove,
        token: token.into(),
    };
    Router::new()
        .route("/api/v1/plugins", get(list_plugins).post(upload_plugin))
        .route(
            "/api/v1/plugins/{name}",
            get(plugin_info).delete(remove_plugin),
        )
        .route(
            "/api/v1/plugins/{name}/approve",
            axum::routing::post(approve_plugin),
        )
        .route(
            "/api/v1/plugins/{name}/rollback",
            axum::routing::post(rollback_plugin),
        )
        .route("/api/v1/secrets", get(list_secrets))
        .route(
            "/api/v1/secrets/{name}",
            axum::routing::put(set_secret).delete(remove_secret),
        )
        .route(
            "/api/v1/acl",
            get(show_acl).post(add_rule).delete(remove_rule),
        )
        .route(
            "/api/v1/plugins/{name}/grants",
            axum::routing::post(add_grant).delete(remove_grant),
        )
        .route("/api/v1/audit", get(audit))
        .merge(crate::events::api::routes(state.cove.clone()))
        .layer(DefaultBodyLimit::max(upload_limit))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token))
        .with_state(state)
}

async fn require_token(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !constant_time_eq(presented.as_bytes(), state.token.as_bytes()) {
        return error(
            StatusCode::UNAUTHORIZED,
            "missing or wrong admin token (Authorization: Bearer <token>)",
        );
    }
    next.run(request).await
}

/// Compares without an early exit, so response time says nothing about the token.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "error": message.into() }))).into_response()
}

async fn list_plugins(State(state): State<ApiState>) -> Response {
    match state.cove.store.plugins() {
        Ok(plugins) => {
            let list: Vec<_> = plugins
                .iter()
                .map(|p| {
                    let v = p.active_version();
                    json!({
                        "name": p.name,
                        "version": v.manifest.version,
                        "description": v.manifest.description,
                        "sha256": p.active,
                        "approved": p.active_is_approved(),
                        "versions": p.versions.len(),
                        "commands": v.manifest.commands.iter().map(|c| &c.name).collect::<Vec<_>>(),
                    })
                })
                .collect();
            axum::Json(list).into_response()
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")),
    }
}

async fn upload_plugin(State(state): State<ApiState>, headers: HeaderMap, body: Bytes) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/wasm")
        && !content_type.starts_with("application/octet-stream")
    {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the component as Content-Type: application/wasm",
        );
    }
    let uploader = Uploader {
        id: API_ACTOR.into(),
        admin: true,
    };
    match state.cove.install(&body, &uploader).await {
        Ok(installed) => {
            let v = &installed.version;
            let body =
                json!({ "name": v.manifest.name, "version": v.manifest.version, "sha256": v.hash });
            (StatusCode::CREATED, axum::Json(body)).into_response()
        }
        Err(e) => error(
            StatusCode::BAD_REQUEST,
            format!("cannot install the upload: {e}"),
        ),
    }
}

async fn plugin_info(State(state): State<ApiState>, UrlPath(name): UrlPath<String>) -> Response {
    let record = match state.cove.store.plugin(&name) {
        Ok(Some(record)) => record,
        Ok(None) => {
            return error(
                StatusCode::NOT_FOUND,
                format!("no plugin named {name:?} is installed"),
            );
        }
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")),
    };
    let requested =
        crate::manifest::requested_grants(&record.active_version().manifest).unwrap_or_default();
    let granted = state.cove.store.grants(&name).unwrap_or_default();
    axum::Json(json!({
        "name": record.name,
        "active": record.active,
        "approved": record.approved,
        "manifest": record.active_version().manifest,
        "versions": record.versions.iter().map(|v| json!({
            "version": v.manifest.version, "sha256": v.hash, "size": v.size,
            "installed_at_ms": v.installed_at_ms, "uploaded_by": v.uploaded_by,
        })).collect::<Vec<_>>(),
        "permissions": { "requested": requested, "granted": granted },
    }))
    .into_response()
}

#[derive(Deserialize)]
struct GrantBody {
    grant: String,
}

async fn add_grant(state: State<ApiState>, name: UrlPath<String>, body: Bytes) -> Response {
    change_grant(state, name, body, true)
}

async fn remove_grant(state: State<ApiState>, name: UrlPath<String>, body: Bytes) -> Response {
    change_grant(state, name, body, false)
}

fn change_grant(
    State(state): State<ApiState>,
    UrlPath(name): UrlPath<String>,
    body: Bytes,
    add: bool,
) -> Response {
    let grant: GrantBody = match serde_json::from_slice(&body) {
        Ok(g) => g,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("expected {{\"grant\": \"net host\"}}: {e}"),
            );
        }
    };
    let Some(words) = shlex::split(&grant.grant) else {
        return error(
            StatusCode::BAD_REQUEST,
            "a quote in the grant is not closed",
        );
    };
    let result = if add {
        state.cove.grant(API_ACTOR, &name, &words)
    } else {
        state.cove.revoke(API_ACTOR, &name, &words)
    };
    outcome(result)
}

fn outcome(result: anyhow::Result<String>) -> Response {
    match result {
        Ok(message) => axum::Json(json!({ "message": message })).into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, format!("{e:#}")),
    }
}

async fn remove_plugin(State(state): State<ApiState>, UrlPath(name): UrlPath<String>) -> Response {
    let removed = state.cove.remove(API_ACTOR, &name);
    outcome(removed.map(|r| format!("Removed {name} ({} version(s)).", r.versions.len())))
}

async fn approve_plugin(State(state): State<ApiState>, UrlPath(name): UrlPath<String>) -> Response {
    outcome(
        state
            .cove
            .approve(API_ACTOR, &name)
            .map(|r| format!("Approved {name} (sha256 {}).", r.active)),
    )
}

async fn rollback_plugin(
    State(state): State<ApiState>,
    UrlPath(name): UrlPath<String>,
) -> Response {
    let rolled = state.cove.rollback(API_ACTOR, &name).await;
    outcome(rolled.map(|r| format!("Rolled {name} back to sha256 {}.", r.active)))
}

async fn list_secrets(State(state): State<ApiState>) -> Response {
    match state.cove.store.secret_names() {
        Ok(names) => axum::Json(json!({ "secrets": names })).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")),
    }
}

async fn set_secret(
    State(state): State<ApiState>,
    UrlPath(name): UrlPath<String>,
    body: Bytes,
) -> Response {
    outcome(state.cove.set_secret(API_ACTOR, &name, &body))
}

async fn remove_secret(State(state): State<ApiState>, UrlPath(name): UrlPath<String>) -> Response {
    outcome(state.cove.remove_secret(API_ACTOR, &name))
}

async fn show_acl(State(state): State<ApiState>) -> Response {
    let acl = state
        .cove
        .access
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    axum::Json(acl).into_response()
}

#[derive(Deserialize)]
struct RuleBody {
    rule: String,
}

async fn add_rule(state: State<ApiState>, body: Bytes) -> Response {
    change_rule(state, body, true)
}

async fn remove_rule(state: State<ApiState>, body: Bytes) -> Response {
    change_rule(state, body, false)
}

fn change_rule(State(state): State<ApiState>, body: Bytes, add: bool) -> Response {
    let parsed = serde_json::from_slice::<RuleBody>(&body)
        .map_err(anyhow::Error::from)
        .and_then(|b| {
            let words: Vec<&str> = b.rule.split_whitespace().collect();
            crate::policy::acl::Rule::parse(&words).map_err(anyhow::Error::from)
        });
    let rule = match parsed {
        Ok(rule) => rule,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("expected {{\"rule\": \"allow deploy role:oncall\"}}: {e:#}"),
            );
        }
    };
    outcome(apply_rule(&state.cove, rule, add))
}

fn apply_rule(cove: &Cove, rule: crate::policy::acl::Rule, add: bool) -> anyhow::Result<String> {
    let mut stored = match cove.store.acl()? {
        Some(acl) => acl,
        None => cove
            .access
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone(),
    };
    let changed = if add {
        stored.add_rule(rule.clone())
    } else {
        stored.remove_rule(&rule)
    };
    if !changed {
        anyhow::bail!("nothing to change for `{rule}`");
    }
    let verb = if add { "acl" } else { "acl remove" };
    cove.save_acl(API_ACTOR, &stored, format!("{verb} {rule}"))?;
    Ok(format!(
        "{} `{rule}`.",
        if add { "Added" } else { "Removed" }
    ))
}

#[derive(Deserialize)]
struct AuditQuery {
    plugin: Option<String>,
    user: Option<String>,
    limit: Option<usize>,
}

async fn audit(State(state): State<ApiState>, Query(q): Query<AuditQuery>) -> Response {
    let keep = |r: &crate::store::AuditRecord| {
        q.plugin
            .as_ref()
            .is_none_or(|p| r.event.plugin.as_ref() == Some(p))
            && q.user.as_ref().is_none_or(|u| &r.event.actor == u)
    };
    match state
        .cove
        .store
        .audit_records(keep, q.limit.unwrap_or(100).clamp(1, 1000))
    {
        Ok(records) => axum::Json(records).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_in_full() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"abc"));
    }

    #[test]
    fn token_file_is_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let (first, created) = load_token(dir.path(), None).unwrap();
        assert!(created && first.len() == 64);
        let (again, created) = load_token(dir.path(), None).unwrap();
        assert!(!created && again == first);
        assert_eq!(
            load_token(dir.path(), Some("from-env".into())).unwrap().0,
            "from-env"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(TOKEN_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
