//! The admin web page under `/admin`, served by `cove serve` next to the admin API.
//!
//! Server-rendered HTML with plain forms and POST/redirect/GET: no JavaScript, so the
//! Content-Security-Policy forbids scripts outright. Sign-in is with the admin token (see
//! [`session`]); every form carries the session's CSRF token; every change goes through the
//! same [`Cove`] functions as the CLI and the API and is audited as actor `web`.
//!
//! | method | path | does |
//! |---|---|---|
//! | GET / POST | `/admin/login` | sign-in form / sign in with the admin token |
//! | POST | `/admin/logout` | sign out |
//! | GET | `/admin` | plugin list |
//! | GET / POST | `/admin/upload` | upload form / upload (multipart) |
//! | GET | `/admin/plugins/{name}` | manifest, requested vs granted, versions |
//! | POST | `/admin/plugins/{name}/{grant,revoke,approve,rollback,remove}` | change it |
//! | GET | `/admin/secrets`, POST `/admin/secrets/{set,remove}` | names only; write-only values |
//! | GET | `/admin/access`, POST `/admin/access/{add,remove}` | access rules |
//! | GET | `/admin/audit?plugin=&user=&action=&before=` | audit log, newest first |

mod actions;
mod html;
mod plugin_pages;
pub mod session;
mod settings_pages;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::app::Cove;
use html::{Frame, Nav};
use session::{FLASH_COOKIE, Flash, LOGIN_COOKIE, Session, Sessions, cookie, set_cookie};

pub use html::escape;

/// The audit actor of changes made on the web page.
const WEB_ACTOR: &str = "web";
/// Audit entries per page.
const AUDIT_PAGE: usize = 50;
/// Headroom over the plugin size limit for the multipart framing and the CSRF field.
const MULTIPART_SLACK: usize = 64 * 1024;
/// The policy for every page: no scripts at all, styles and images from this server only.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
                       form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const STYLE: &str = include_str!("style.css");

#[derive(Clone)]
struct WebState {
    cove: Arc<Cove>,
    token: Arc<str>,
    sessions: Arc<Sessions>,
}

/// The `/admin` routes.
pub fn routes(cove: Arc<Cove>, token: String) -> Router {
    let upload_limit = cove.config.limits.max_plugin_bytes as usize + MULTIPART_SLACK;
    let state = WebState {
        cove,
        token: token.into(),
        sessions: Arc::default(),
    };
    Router::new()
        .route("/admin", get(plugins))
        .route("/admin/style.css", get(style))
        .route("/admin/login", get(login_form).post(actions::login))
        .route("/admin/logout", post(actions::logout))
        .route(
            "/admin/upload",
            get(upload_form)
                .post(actions::upload)
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/admin/plugins/{name}", get(plugin))
        .route(
            "/admin/plugins/{name}/{action}",
            post(actions::plugin_action),
        )
        .route("/admin/secrets", get(secrets))
        .route("/admin/secrets/{action}", post(actions::secret_action))
        .route("/admin/access", get(access))
        .route("/admin/access/{action}", post(actions::access_action))
        .route("/admin/audit", get(audit))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// Headers on every admin page: the CSP, no sniffing, no referrer, no framing, no caching.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// An HTML response with extra `Set-Cookie` values.
fn html_response(status: StatusCode, body: String, cookies: &[String]) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response();
    for c in cookies {
        if let Ok(value) = HeaderValue::from_str(c) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// A 303 to `to`, optionally with a flash message for the next page.
fn redirect(to: &str, flash: Option<Flash>) -> Response {
    let mut response =
        (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response();
    if let Some(flash) = flash
        && let Ok(value) = HeaderValue::from_str(&set_cookie(
            FLASH_COOKIE,
            &flash.encode(),
            std::time::Duration::from_secs(60),
        ))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The signed-in session, or a redirect to the sign-in page.
fn signed_in(state: &WebState, headers: &HeaderMap) -> Result<Session, Box<Response>> {
    state
        .sessions
        .from_headers(headers)
        .ok_or_else(|| Box::new(redirect("/admin/login", None)))
}

/// Renders a signed-in page with the pending flash message (which is then cleared).
fn show(
    headers: &HeaderMap,
    session: &Session,
    nav: Nav,
    render: impl FnOnce(&Frame) -> String,
) -> Response {
    let flash = cookie(headers, FLASH_COOKIE).and_then(Flash::decode);
    let clear = if flash.is_some() {
        vec![set_cookie(FLASH_COOKIE, "", std::time::Duration::ZERO)]
    } else {
        Vec::new()
    };
    let frame = Frame {
        nav,
        csrf: Some(&session.csrf),
        flash,
    };
    html_response(StatusCode::OK, render(&frame), &clear)
}

/// A failed page load: the error page with `status`.
fn failure(status: StatusCode, title: &str, message: &str, session: Option<&Session>) -> Response {
    let csrf = session.map(|s| s.csrf.as_str());
    html_response(status, html::error_page(title, message, csrf), &[])
}

/// The store failed while loading a page.
fn store_error(e: &anyhow::Error, session: &Session) -> Response {
    let message = format!("{e:#}");
    failure(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Store error",
        &message,
        Some(session),
    )
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
}

async fn login_form(State(state): State<WebState>, headers: HeaderMap) -> Response {
    if state.sessions.from_headers(&headers).is_some() {
        return redirect("/admin", None);
    }
    let value = session::random_hex(16);
    let c = set_cookie(LOGIN_COOKIE, &value, std::time::Duration::from_secs(3600));
    html_response(StatusCode::OK, html::login_page(&value, None), &[c])
}

async fn plugins(State(state): State<WebState>, headers: HeaderMap) -> Response {
    let session = match signed_in(&state, &headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let records = match state.cove.store.plugins() {
        Ok(r) => r,
        Err(e) => return store_error(&e, &session),
    };
    let rows: Vec<_> = records
        .iter()
        .map(|record| plugin_pages::PluginRow {
            record,
            requested: crate::manifest::requested_grants(&record.active_version().manifest)
                .unwrap_or_default(),
            granted: state.cove.store.grants(&record.name).unwrap_or_default(),
        })
        .collect();
    show(&headers, &session, Nav::Plugins, |f| {
        plugin_pages::plugins_page(&rows, f)
    })
}

async fn plugin(
    State(state): State<WebState>,
    headers: HeaderMap,
    UrlPath(name): UrlPath<String>,
) -> Response {
    let session = match signed_in(&state, &headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let record = match state.cove.store.plugin(&name) {
        Ok(Some(record)) => record,
        Ok(None) => {
            let message = format!("No plugin named {name:?} is installed.");
            return failure(StatusCode::NOT_FOUND, "Not found", &message, Some(&session));
        }
        Err(e) => return store_error(&e, &session),
    };
    let requested =
        crate::manifest::requested_grants(&record.active_version().manifest).unwrap_or_default();
    let granted = state.cove.store.grants(&name).unwrap_or_default();
    let view = plugin_pages::PluginView {
        record: &record,
        requested: &requested,
        granted: &granted,
        prefix: &state.cove.config.prefix,
    };
    show(&headers, &session, Nav::Plugins, |f| {
        plugin_pages::plugin_page(&view, &session.csrf, f)
    })
}

async fn upload_form(State(state): State<WebState>, headers: HeaderMap) -> Response {
    let session = match signed_in(&state, &headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let limit = state.cove.config.limits.max_plugin_bytes;
    show(&headers, &session, Nav::Upload, |f| {
        plugin_pages::upload_page(&session.csrf, limit, f)
    })
}

async fn secrets(State(state): State<WebState>, headers: HeaderMap) -> Response {
    let session = match signed_in(&state, &headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    match state.cove.store.secret_names() {
        Ok(names) => show(&headers, &session, Nav::Secrets, |f| {
            settings_pages::secrets_page(&names, &session.csrf, f)
        }),
        Err(e) => store_error(&e, &session),
    }
}

async fn access(State(state): State<WebState>, headers: HeaderMap) -> Response {
    let session = match signed_in(&state, &headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let effective = state
        .cove
        .access
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    match state.cove.stored_acl() {
        Ok(stored) => show(&headers, &session, Nav::Access, |f| {
            settings_pages::access_page(&effective, &stored, &session.csrf, f)
        }),
        Err(e) => store_error(&e, &session),
    }
}

async fn audit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let session = match signed_in(&state, &headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let field = |k: &str| q.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let filter = settings_pages::AuditFilter {
        plugin: field("plugin"),
        user: field("user"),
        action: field("action"),
    };
    let before = q.get("before").and_then(|b| b.parse::<u64>().ok());
    let keep = |r: &crate::store::AuditRecord| filter.keep(r);
    let mut records = match state.cove.store.audit_page(keep, before, AUDIT_PAGE + 1) {
        Ok(r) => r,
        Err(e) => return store_error(&e, &session),
    };
    records.reverse();
    let older = (records.len() > AUDIT_PAGE).then(|| {
        records.truncate(AUDIT_PAGE);
        records.last().map_or(0, |r| r.seq)
    });
    show(&headers, &session, Nav::Audit, |f| {
        settings_pages::audit_page(&records, &filter, older, f)
    })
}
