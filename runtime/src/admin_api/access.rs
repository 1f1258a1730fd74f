//! `/api/v1/secrets`, `/api/v1/acl`, `/api/v1/admins`: who holds what, who may run what.

use axum::body::Bytes;
use axum::extract::{Path, State};

use super::model::{AdminBody, AdminList, ApiError, DefaultBody, Message, RuleBody, SecretInfo};
use super::{API_ACTOR, Answer, ApiState, Failure, changed, json_body};
use crate::policy::acl::{Acl, Effect, Rule};

#[utoipa::path(get, path = "/api/v1/secrets", tag = "access",
    responses((status = 200, body = Vec<SecretInfo>, description = "Names and holders; values never leave the store")))]
pub(super) async fn list_secrets(State(state): State<ApiState>) -> Answer<Vec<SecretInfo>> {
    Ok(axum::Json(state.cove.secret_infos()?))
}

#[utoipa::path(put, path = "/api/v1/secrets/{name}", tag = "access",
    params(("name" = String, Path, description = "A-Z, 0-9 and _, starting with a letter")),
    request_body(content = String, content_type = "text/plain", description = "The value (a trailing newline is dropped)"),
    responses((status = 200, body = Message), (status = 400, body = ApiError)))]
pub(super) async fn set_secret(
    State(state): State<ApiState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Answer<Message> {
    changed(state.cove.set_secret(API_ACTOR, &name, &body))
}

#[utoipa::path(delete, path = "/api/v1/secrets/{name}", tag = "access",
    params(("name" = String, Path, description = "Secret name")),
    responses((status = 200, body = Message), (status = 400, body = ApiError)))]
pub(super) async fn remove_secret(
    State(state): State<ApiState>,
    Path(name): Path<String>,
) -> Answer<Message> {
    changed(state.cove.remove_secret(API_ACTOR, &name))
}

#[utoipa::path(get, path = "/api/v1/acl", tag = "access",
    responses((status = 200, body = Object, description = "`default`, `rules` and `admins` in force")))]
pub(super) async fn show_acl(State(state): State<ApiState>) -> axum::Json<Acl> {
    axum::Json(state.cove.effective_access())
}

fn parse_rule(body: &[u8]) -> Result<Rule, Failure> {
    let body: RuleBody = json_body(body, "{\"rule\": \"allow deploy role:oncall\"}")?;
    let words: Vec<&str> = body.rule.split_whitespace().collect();
    Rule::parse(&words).map_err(|e| {
        Failure::bad_request(format!(
            "expected {{\"rule\": \"allow deploy role:oncall\"}}: {e}"
        ))
    })
}

#[utoipa::path(post, path = "/api/v1/acl", tag = "access", request_body = RuleBody,
    responses((status = 200, body = Message), (status = 400, body = ApiError)))]
pub(super) async fn add_rule(State(state): State<ApiState>, body: Bytes) -> Answer<Message> {
    changed(state.cove.add_rule(API_ACTOR, parse_rule(&body)?))
}

#[utoipa::path(delete, path = "/api/v1/acl", tag = "access", request_body = RuleBody,
    responses((status = 200, body = Message), (status = 400, body = ApiError)))]
pub(super) async fn remove_rule(State(state): State<ApiState>, body: Bytes) -> Answer<Message> {
    changed(state.cove.remove_rule(API_ACTOR, &parse_rule(&body)?))
}

#[utoipa::path(put, path = "/api/v1/acl/default", tag = "access", request_body = DefaultBody,
    responses((status = 200, body = Message), (status = 400, body = ApiError)))]
pub(super) async fn set_default(State(state): State<ApiState>, body: Bytes) -> Answer<Message> {
    let body: DefaultBody = json_body(&body, "{\"default\": \"allow\" or \"deny\"}")?;
    let effect: Effect = body
        .default
        .parse()
        .map_err(|e| Failure::bad_request(format!("{e}")))?;
    changed(state.cove.set_acl_default(API_ACTOR, effect))
}

#[utoipa::path(get, path = "/api/v1/admins", tag = "access",
    responses((status = 200, body = AdminList)))]
pub(super) async fn list_admins(State(state): State<ApiState>) -> axum::Json<AdminList> {
    axum::Json(state.cove.admin_list())
}

#[utoipa::path(post, path = "/api/v1/admins", tag = "access", request_body = AdminBody,
    responses((status = 200, body = Message), (status = 400, body = ApiError)))]
pub(super) async fn add_admin(State(state): State<ApiState>, body: Bytes) -> Answer<Message> {
    let body: AdminBody = json_body(&body, "{\"user\": \"<user id or name>\"}")?;
    changed(state.cove.add_admin(API_ACTOR, &body.user))
}

#[utoipa::path(delete, path = "/api/v1/admins/{user}", tag = "access",
    params(("user" = String, Path, description = "An admin added with the API or `cove admin add`")),
    responses((status = 200, body = Message), (status = 400, body = ApiError, description = "Not an added admin")))]
pub(super) async fn remove_admin(
    State(state): State<ApiState>,
    Path(user): Path<String>,
) -> Answer<Message> {
    changed(state.cove.remove_admin(API_ACTOR, &user))
}
