//! The admin HTTP API under `/api/v1/`, served by `cove serve` next to the chat endpoint.
//! Every call needs `Authorization: Bearer <admin token>` and is audited (actor `api`,
//! action `api`, the method and path, the status); changes are also audited as what they did.
//!
//! | method | path | does |
//! |---|---|---|
//! | GET | `/api/v1/plugins` | list plugins with requested and granted permissions |
//! | POST | `/api/v1/plugins[?as=<user>]` | upload a component: `application/wasm` body or multipart field `file` |
//! | GET / DELETE | `/api/v1/plugins/{name}` | manifest, versions, permissions / remove |
//! | POST | `/api/v1/plugins/{name}/approve`, `/rollback` | approve the active version, roll back |
//! | POST / DELETE | `/api/v1/plugins/{name}/grants` | `{"grant": "net api.github.com"}` |
//! | GET | `/api/v1/secrets` | secret names and holders (never values) |
//! | PUT / DELETE | `/api/v1/secrets/{NAME}` | set (raw body is the value) / remove |
//! | GET / POST / DELETE | `/api/v1/acl` | rules, default, admins / `{"rule": "allow deploy role:oncall"}` |
//! | PUT | `/api/v1/acl/default` | `{"default": "deny"}` |
//! | GET / POST | `/api/v1/admins` | list / `{"user": "alice"}` |
//! | DELETE | `/api/v1/admins/{user}` | remove an added admin |
//! | GET | `/api/v1/audit?plugin=&user=&action=&outcome=&since_ms=&before=&limit=` | a page of records |
//! | GET | `/api/v1/audit/verify` | check the hash chain |
//! | GET | `/api/v1/events?failed=&limit=` | pending or dead-lettered events |
//! | POST | `/api/v1/events/{id}/retry` | requeue a dead letter |
//! | GET | `/api/v1/openapi.json` | this API as OpenAPI 3.1, generated from the handlers (no token) |
//!
//! The token is `COVE_ADMIN_TOKEN`, or `admin.token` in the data directory (mode 0600),
//! generated on first start and printed once.

mod access;
mod audit_log;
mod events;
pub mod model;
mod plugins;

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::Cove;
use crate::constant_time_eq;
use crate::store::AuditEvent;
use model::{ApiError, Message};

/// Name of the token file inside the data directory.
pub const TOKEN_FILE: &str = "admin.token";
/// The audit actor of API calls.
pub const API_ACTOR: &str = "api";

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

/// What every handler gets.
#[derive(Clone)]
pub(crate) struct ApiState {
    pub(crate) cove: Arc<Cove>,
    token: Arc<str>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Cove admin API",
        description = "Plugins, grants, secrets, access rules, admins and the audit log of one Cove server."
    ),
    modifiers(&BearerToken),
    security(("admin_token" = [])),
    tags(
        (name = "plugins", description = "Upload, inspect, approve, roll back and remove plugins; grant and revoke permissions"),
        (name = "access", description = "Secrets, access rules and admins"),
        (name = "audit", description = "The hash-chained audit log"),
        (name = "events", description = "Webhook deliveries and schedule ticks waiting for delivery, and dead letters"),
    )
)]
struct ApiDoc;

/// Declares the `Authorization: Bearer <admin token>` scheme every operation needs.
struct BearerToken;

impl utoipa::Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The routes and their OpenAPI description, built from the same handler annotations.
fn api_router() -> (Router<ApiState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(plugins::list, plugins::upload))
        .routes(routes!(plugins::info, plugins::remove))
        .routes(routes!(plugins::approve))
        .routes(routes!(plugins::rollback))
        .routes(routes!(plugins::grant, plugins::revoke))
        .routes(routes!(access::list_secrets))
        .routes(routes!(access::set_secret, access::remove_secret))
        .routes(routes!(
            access::show_acl,
            access::add_rule,
            access::remove_rule
        ))
        .routes(routes!(access::set_default))
        .routes(routes!(access::list_admins, access::add_admin))
        .routes(routes!(access::remove_admin))
        .routes(routes!(audit_log::page))
        .routes(routes!(audit_log::verify))
        .routes(routes!(events::list))
        .routes(routes!(events::retry))
        .split_for_parts()
}

/// The OpenAPI document of the admin API, as served at `/api/v1/openapi.json`.
pub fn openapi_json() -> String {
    render(&api_router().1)
}

fn render(document: &utoipa::openapi::OpenApi) -> String {
    document
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot render the OpenAPI document: {e}\"}}"))
}

/// The `/api/v1/` admin routes, behind the token check, plus the public OpenAPI document.
pub fn routes(cove: Arc<Cove>, token: String) -> Router {
    let upload_limit = cove.config.limits.max_plugin_bytes as usize;
    let state = ApiState {
        cove,
        token: token.into(),
    };
    let (router, document) = api_router();
    let document: Arc<str> = render(&document).into();
    router
        .layer(DefaultBodyLimit::max(upload_limit))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token))
        .with_state(state)
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    document.to_string(),
                )
            }),
        )
}

/// Refuses calls without the admin token; audits every call with its status.
async fn require_token(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let call = format!("{} {}", request.method(), request.uri().path());
    let response = if constant_time_eq(presented.as_bytes(), state.token.as_bytes()) {
        next.run(request).await
    } else {
        error(
            StatusCode::UNAUTHORIZED,
            "missing or wrong admin token (Authorization: Bearer <token>)",
        )
    };
    state.cove.audit.record_soon(AuditEvent {
        actor: API_ACTOR.into(),
        action: "api".into(),
        detail: call,
        outcome: match response.status() {
            StatusCode::UNAUTHORIZED => "unauthorized".into(),
            status if status.is_success() => "ok".into(),
            status => status.as_u16().to_string(),
        },
        ..AuditEvent::default()
    });
    response
}

/// A JSON error answer.
pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(ApiError {
            error: message.into(),
        }),
    )
        .into_response()
}

/// A refused or failed call: the status and the sentence for the caller.
pub(crate) struct Failure(StatusCode, String);

impl Failure {
    fn bad_request(message: impl Into<String>) -> Failure {
        Failure(StatusCode::BAD_REQUEST, message.into())
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        let status = if e.downcast_ref::<crate::admin::NotInstalled>().is_some() {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::BAD_REQUEST
        };
        Failure(status, format!("{e:#}"))
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        error(self.0, self.1)
    }
}

/// What a handler answers: JSON, or a [`Failure`].
type Answer<T> = Result<axum::Json<T>, Failure>;

/// The answer to a change: its sentence.
fn changed(result: anyhow::Result<String>) -> Answer<Message> {
    Ok(axum::Json(Message { message: result? }))
}

/// Parses a JSON body, or says which shape was expected.
fn json_body<T: serde::de::DeserializeOwned>(body: &[u8], expected: &str) -> Result<T, Failure> {
    serde_json::from_slice(body)
        .map_err(|e| Failure::bad_request(format!("expected {expected}: {e}")))
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

    #[test]
    fn the_openapi_document_describes_every_route() {
        let doc: serde_json::Value = serde_json::from_str(&openapi_json()).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        for (path, method) in [
            ("/api/v1/plugins", "post"),
            ("/api/v1/plugins/{name}", "delete"),
            ("/api/v1/plugins/{name}/grants", "post"),
            ("/api/v1/secrets/{name}", "put"),
            ("/api/v1/acl/default", "put"),
            ("/api/v1/admins/{user}", "delete"),
            ("/api/v1/audit", "get"),
        ] {
            assert!(paths[path][method].is_object(), "{method} {path} missing");
        }
        assert_eq!(
            doc["components"]["securitySchemes"]["admin_token"]["scheme"],
            "bearer"
        );
        let upload = &paths["/api/v1/plugins"]["post"]["requestBody"]["content"];
        assert!(
            upload["application/wasm"].is_object() && upload["multipart/form-data"].is_object()
        );
    }
}
