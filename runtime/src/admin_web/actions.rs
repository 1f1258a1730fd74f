//! The POST handlers: sign-in and sign-out, upload, and every change an admin makes.
//!
//! Each one checks the session and the form's CSRF token first (a missing or wrong token is
//! a 403 page and changes nothing), then calls the same [`Cove`] function as the CLI and the
//! API, then redirects with the outcome as a flash message (POST/redirect/GET).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::multipart::{Field, Multipart, MultipartError, MultipartRejection};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::session::{self, Flash, LOGIN_COOKIE, SESSION_COOKIE, SESSION_TTL, Session};
use super::{WEB_ACTOR, WebState, failure, html, html_response, redirect};
use crate::app::Cove;
use crate::install::Uploader;

/// A urlencoded form body as a map (the last value of a repeated field wins).
fn form(body: &Bytes) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// The session, if the form's CSRF token matches it; else the response to send instead.
fn authorised(
    state: &WebState,
    headers: &HeaderMap,
    csrf: Option<&str>,
) -> Result<Session, Box<Response>> {
    let session = super::signed_in(state, headers)?;
    if !session::csrf_ok(&session, csrf) {
        return Err(Box::new(failure(
            StatusCode::FORBIDDEN,
            "Form expired",
            "This form's security token is missing or does not match your session, so nothing \
             was changed. Reload the page and try again.",
            Some(&session),
        )));
    }
    Ok(session)
}

/// The session and the form's fields, if the form's CSRF token matches the session.
fn checked_form(
    state: &WebState,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(Session, HashMap<String, String>), Box<Response>> {
    let fields = form(body);
    let session = authorised(state, headers, fields.get("csrf").map(String::as_str))?;
    Ok((session, fields))
}

/// Redirects to `to` with the outcome of an action as the flash message.
fn outcome(to: &str, result: anyhow::Result<String>) -> Response {
    let flash = match result {
        Ok(text) => Flash { ok: true, text },
        Err(e) => Flash {
            ok: false,
            text: format!("{e:#}"),
        },
    };
    redirect(to, Some(flash))
}

/// `POST /admin/login`: the login form's double-submit token, then the admin token.
pub async fn login(State(state): State<WebState>, headers: HeaderMap, body: Bytes) -> Response {
    let fields = form(&body);
    let expected = session::cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    let presented = fields.get("csrf").map_or("", String::as_str);
    if expected.is_empty() || !crate::constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
        return failure(
            StatusCode::FORBIDDEN,
            "Sign-in form expired",
            "The sign-in form's security token is missing or stale. Open the sign-in page again.",
            None,
        );
    }
    let token = fields.get("token").map_or("", |t| t.trim());
    if !crate::constant_time_eq(token.as_bytes(), state.token.as_bytes()) {
        let page = html::login_page(
            expected,
            Some(
                "That is not the admin token. Check admin.token in the data directory or COVE_ADMIN_TOKEN.",
            ),
        );
        return html_response(StatusCode::UNAUTHORIZED, page, &[]);
    }
    let session = state.sessions.create(SESSION_TTL);
    let mut response = redirect("/admin", None);
    for c in [
        session::set_cookie(SESSION_COOKIE, &session.id, SESSION_TTL),
        session::set_cookie(LOGIN_COOKIE, "", std::time::Duration::ZERO),
    ] {
        if let Ok(v) = c.parse() {
            response
                .headers_mut()
                .append(axum::http::header::SET_COOKIE, v);
        }
    }
    response
}

/// `POST /admin/logout`: ends the session and clears its cookie.
pub async fn logout(State(state): State<WebState>, headers: HeaderMap, body: Bytes) -> Response {
    let session = match checked_form(&state, &headers, &body) {
        Ok((session, _)) => session,
        Err(r) => return *r,
    };
    state.sessions.remove(&session.id);
    let mut response = redirect("/admin/login", None);
    if let Ok(v) = session::set_cookie(SESSION_COOKIE, "", std::time::Duration::ZERO).parse() {
        response
            .headers_mut()
            .append(axum::http::header::SET_COOKIE, v);
    }
    response
}

/// `POST /admin/upload`: a multipart form whose `csrf` field comes before the `file` field;
/// the file is read only up to the plugin size limit.
pub async fn upload(
    State(state): State<WebState>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    if let Err(r) = super::signed_in(&state, &headers) {
        return *r;
    }
    let Ok(mut multipart) = multipart else {
        return outcome(
            "/admin/upload",
            Err(anyhow::anyhow!(
                "send the upload form as multipart/form-data"
            )),
        );
    };
    let limit = state.cove.config.limits.max_plugin_bytes;
    let mut csrf = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                return outcome("/admin/upload", Err(broke_off(&e, limit)));
            }
        };
        match field.name() {
            Some("csrf") => csrf = field.text().await.ok(),
            Some("file") => {
                if let Err(r) = authorised(&state, &headers, csrf.as_deref()) {
                    return *r;
                }
                let result = match read_limited(field, limit).await {
                    Ok(bytes) => install(&state.cove, &bytes).await,
                    Err(e) => Err(e),
                };
                return match result {
                    Ok((name, text)) => outcome(&format!("/admin/plugins/{name}"), Ok(text)),
                    Err(e) => outcome("/admin/upload", Err(e)),
                };
            }
            _ => {}
        }
    }
    if let Err(r) = authorised(&state, &headers, csrf.as_deref()) {
        return *r;
    }
    outcome(
        "/admin/upload",
        Err(anyhow::anyhow!("choose a .wasm file to upload")),
    )
}

/// The file field's bytes, refusing it as soon as it passes `limit`.
async fn read_limited(mut field: Field<'_>, limit: u64) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| broke_off(&e, limit))? {
        if (bytes.len() + chunk.len()) as u64 > limit {
            return Err(too_large(limit));
        }
        bytes.extend_from_slice(&chunk);
    }
    if bytes.is_empty() {
        anyhow::bail!("choose a .wasm file to upload (the file was empty)");
    }
    Ok(bytes)
}

fn too_large(limit: u64) -> anyhow::Error {
    anyhow::anyhow!(
        "cannot install the upload: the file is over the {limit}-byte plugin size limit"
    )
}

/// Why reading the multipart body failed; the body limit (just above the plugin limit)
/// reads as the plugin size limit.
fn broke_off(e: &MultipartError, limit: u64) -> anyhow::Error {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(limit)
    } else {
        anyhow::anyhow!("the upload broke off: {}", e.body_text())
    }
}

/// Installs as an admin upload; returns the plugin name and the message for the admin.
async fn install(cove: &Cove, bytes: &[u8]) -> anyhow::Result<(String, String)> {
    let uploader = Uploader {
        id: WEB_ACTOR.into(),
        admin: true,
    };
    let installed = cove
        .install(bytes, &uploader)
        .await
        .map_err(|e| anyhow::anyhow!("cannot install the upload: {e}"))?;
    let v = &installed.version;
    let pending = crate::manifest::requested_grants(&v.manifest)
        .unwrap_or_default()
        .len();
    let verb = if installed.already_present {
        "Reactivated"
    } else {
        "Installed"
    };
    Ok((
        v.manifest.name.clone(),
        format!(
            "{verb} {} {} (sha256 {}). It requests {pending} permission(s); grant them below.",
            v.manifest.name,
            v.manifest.version,
            v.hash.get(..12).unwrap_or(&v.hash)
        ),
    ))
}

/// `POST /admin/plugins/{name}/{grant|revoke|approve|rollback|remove}`.
pub async fn plugin_action(
    State(state): State<WebState>,
    headers: HeaderMap,
    UrlPath((name, action)): UrlPath<(String, String)>,
    body: Bytes,
) -> Response {
    let fields = match checked_form(&state, &headers, &body) {
        Ok((_, fields)) => fields,
        Err(r) => return *r,
    };
    let page = format!("/admin/plugins/{name}");
    let cove = &state.cove;
    let grant_words = || {
        let text = fields.get("grant").map_or("", |g| g.trim());
        match shlex::split(text) {
            Some(words) if !words.is_empty() => Ok(words),
            Some(_) => Err(anyhow::anyhow!("type a grant, e.g. `net api.example.com`")),
            None => Err(anyhow::anyhow!("a quote in the grant is not closed")),
        }
    };
    let result = match action.as_str() {
        "grant" => grant_words().and_then(|w| cove.grant(WEB_ACTOR, &name, &w)),
        "revoke" => grant_words().and_then(|w| cove.revoke(WEB_ACTOR, &name, &w)),
        "approve" => cove
            .approve(WEB_ACTOR, &name)
            .map(|r| format!("Approved {name} (sha256 {}).", r.active)),
        "rollback" => cove
            .rollback(WEB_ACTOR, &name)
            .await
            .map(|r| format!("Rolled {name} back to sha256 {}.", r.active)),
        "remove" if fields.get("confirm").is_some_and(|c| c == "yes") => {
            let removed = cove.remove(WEB_ACTOR, &name);
            let text =
                removed.map(|r| format!("Removed {name} ({} version(s)).", r.versions.len()));
            return outcome("/admin", text);
        }
        "remove" => Err(anyhow::anyhow!("tick “really remove” to remove {name}")),
        other => Err(anyhow::anyhow!("unknown action {other:?}")),
    };
    outcome(&page, result)
}

/// `POST /admin/secrets/{set|remove}`.
pub async fn secret_action(
    State(state): State<WebState>,
    headers: HeaderMap,
    UrlPath(action): UrlPath<String>,
    body: Bytes,
) -> Response {
    let fields = match checked_form(&state, &headers, &body) {
        Ok((_, fields)) => fields,
        Err(r) => return *r,
    };
    let name = fields.get("name").map_or("", |n| n.trim());
    let result = match action.as_str() {
        "set" => {
            let value = fields.get("value").map_or("", String::as_str);
            state.cove.set_secret(WEB_ACTOR, name, value.as_bytes())
        }
        "remove" => state.cove.remove_secret(WEB_ACTOR, name),
        other => Err(anyhow::anyhow!("unknown action {other:?}")),
    };
    outcome("/admin/secrets", result)
}

/// `POST /admin/access/{add|remove}` with `rule=allow deploy role:oncall`.
pub async fn access_action(
    State(state): State<WebState>,
    headers: HeaderMap,
    UrlPath(action): UrlPath<String>,
    body: Bytes,
) -> Response {
    let fields = match checked_form(&state, &headers, &body) {
        Ok((_, fields)) => fields,
        Err(r) => return *r,
    };
    let words: Vec<&str> = fields
        .get("rule")
        .map_or(Vec::new(), |r| r.split_whitespace().collect());
    let add = match action.as_str() {
        "add" => true,
        "remove" => false,
        other => {
            return outcome(
                "/admin/access",
                Err(anyhow::anyhow!("unknown action {other:?}")),
            );
        }
    };
    let result = crate::policy::acl::Rule::parse(&words)
        .map_err(anyhow::Error::from)
        .and_then(|rule| change_rule(&state.cove, rule, add));
    outcome("/admin/access", result)
}

/// Adds or removes one stored rule, audited as `web`.
fn change_rule(cove: &Cove, rule: crate::policy::acl::Rule, add: bool) -> anyhow::Result<String> {
    if add {
        cove.add_rule(WEB_ACTOR, rule)
    } else {
        cove.remove_rule(WEB_ACTOR, &rule)
    }
}
