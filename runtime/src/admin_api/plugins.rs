//! `/api/v1/plugins…`: upload, list, inspect, approve, roll back, remove; grants.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;

use super::model::{ApiError, GrantBody, Installed, Message, PluginDetail, PluginSummary};
use super::{API_ACTOR, Answer, ApiState, Failure, changed, error, json_body};

/// The multipart form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)]
struct UploadForm {
    /// The component (`.wasm`).
    #[schema(content_media_type = "application/wasm")]
    file: Vec<u8>,
}

/// Query of an upload.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct UploadQuery {
    /// Record the upload as this chat user's: a non-admin's version runs without grants until approved.
    #[serde(rename = "as")]
    #[param(rename = "as")]
    uploader: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/plugins", tag = "plugins",
    responses((status = 200, body = Vec<PluginSummary>, description = "Installed plugins")))]
pub(super) async fn list(State(state): State<ApiState>) -> Answer<Vec<PluginSummary>> {
    Ok(axum::Json(state.cove.plugin_summaries()?))
}

#[utoipa::path(post, path = "/api/v1/plugins", tag = "plugins", params(UploadQuery),
    request_body(description = "The component, raw or as the multipart field `file`", content(
        (Vec<u8> = "application/wasm"),
        (inline(UploadForm) = "multipart/form-data"),
    )),
    responses(
        (status = 201, body = Installed, description = "Installed and serving"),
        (status = 400, body = ApiError, description = "Not an installable plugin; the message says why"),
        (status = 413, description = "Over the plugin size limit (refused without reading it all)"),
        (status = 415, body = ApiError, description = "Neither application/wasm nor multipart/form-data"),
    ))]
pub(super) async fn upload(
    State(state): State<ApiState>,
    Query(query): Query<UploadQuery>,
    request: Request,
) -> Response {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let bytes = if content_type.starts_with("multipart/form-data") {
        match Multipart::from_request(request, &state).await {
            Ok(form) => multipart_file(form).await,
            Err(rejection) => Err(rejection.into_response()),
        }
    } else if content_type.starts_with("application/wasm")
        || content_type.starts_with("application/octet-stream")
    {
        Bytes::from_request(request, &state)
            .await
            .map_err(IntoResponse::into_response)
    } else {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the component as Content-Type: application/wasm, or as the field `file` of a multipart/form-data form",
        );
    };
    let bytes = match bytes {
        Ok(bytes) => bytes,
        Err(response) => return response,
    };
    let cove = &state.cove;
    let uploader = match query.uploader {
        Some(id) => cove.uploader(&id),
        None => crate::install::Uploader {
            id: API_ACTOR.into(),
            admin: true,
        },
    };
    let installed = match cove.install(&bytes, &uploader).await {
        Ok(installed) => installed,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("cannot install the upload: {e}"),
            );
        }
    };
    match Installed::of(cove, &installed, uploader.id) {
        Ok(answer) => (StatusCode::CREATED, axum::Json(answer)).into_response(),
        Err(e) => Failure::from(e).into_response(),
    }
}

/// The bytes of the form's `file` field (or its only file field).
async fn multipart_file(mut form: Multipart) -> Result<Bytes, Response> {
    let too_big = |e: axum::extract::multipart::MultipartError| error(e.status(), e.body_text());
    while let Some(field) = form.next_field().await.map_err(too_big)? {
        if field.name() == Some("file") || field.file_name().is_some() {
            return field.bytes().await.map_err(too_big);
        }
    }
    Err(error(
        StatusCode::BAD_REQUEST,
        "the form has no `file` field with the component",
    ))
}

#[utoipa::path(get, path = "/api/v1/plugins/{name}", tag = "plugins",
    params(("name" = String, Path, description = "Plugin name")),
    responses(
        (status = 200, body = PluginDetail, description = "Manifest, versions, requested and granted permissions"),
        (status = 404, body = ApiError, description = "Not installed"),
    ))]
pub(super) async fn info(
    State(state): State<ApiState>,
    Path(name): Path<String>,
) -> Answer<PluginDetail> {
    Ok(axum::Json(state.cove.plugin_detail(&name)?))
}

#[utoipa::path(delete, path = "/api/v1/plugins/{name}", tag = "plugins",
    params(("name" = String, Path, description = "Plugin name")),
    responses((status = 200, body = Message), (status = 400, body = ApiError)))]
pub(super) async fn remove(
    State(state): State<ApiState>,
    Path(name): Path<String>,
) -> Answer<Message> {
    let removed = state.cove.remove(API_ACTOR, &name);
    changed(removed.map(|r| format!("Removed {name} ({} version(s)).", r.versions.len())))
}

#[utoipa::path(post, path = "/api/v1/plugins/{name}/approve", tag = "plugins",
    params(("name" = String, Path, description = "Plugin name")),
    responses((status = 200, body = Message, description = "The active version may use the grants"), (status = 400, body = ApiError)))]
pub(super) async fn approve(
    State(state): State<ApiState>,
    Path(name): Path<String>,
) -> Answer<Message> {
    let approved = state.cove.approve(API_ACTOR, &name);
    changed(approved.map(|r| {
        format!(
            "Approved {name} (sha256 {}): its grants apply to this version.",
            r.active
        )
    }))
}

#[utoipa::path(post, path = "/api/v1/plugins/{name}/rollback", tag = "plugins",
    params(("name" = String, Path, description = "Plugin name")),
    responses((status = 200, body = Message, description = "The previous version serves again"), (status = 400, body = ApiError)))]
pub(super) async fn rollback(
    State(state): State<ApiState>,
    Path(name): Path<String>,
) -> Answer<Message> {
    let rolled = state.cove.rollback(API_ACTOR, &name).await;
    changed(rolled.map(|r| {
        let v = r.active_version();
        format!(
            "Rolled {name} back to {} (sha256 {}).",
            v.manifest.version, r.active
        )
    }))
}

#[utoipa::path(post, path = "/api/v1/plugins/{name}/grants", tag = "plugins",
    params(("name" = String, Path, description = "Plugin name")),
    request_body = GrantBody,
    responses((status = 200, body = Message), (status = 400, body = ApiError, description = "Not a grant, or no such plugin")))]
pub(super) async fn grant(
    state: State<ApiState>,
    name: Path<String>,
    body: Bytes,
) -> Answer<Message> {
    change_grant(state, name, body, true)
}

#[utoipa::path(delete, path = "/api/v1/plugins/{name}/grants", tag = "plugins",
    params(("name" = String, Path, description = "Plugin name")),
    request_body = GrantBody,
    responses((status = 200, body = Message), (status = 400, body = ApiError, description = "Not a grant the plugin has")))]
pub(super) async fn revoke(
    state: State<ApiState>,
    name: Path<String>,
    body: Bytes,
) -> Answer<Message> {
    change_grant(state, name, body, false)
}

fn change_grant(
    State(state): State<ApiState>,
    Path(name): Path<String>,
    body: Bytes,
    add: bool,
) -> Answer<Message> {
    let grant: GrantBody = json_body(&body, "{\"grant\": \"net host\"}")?;
    let words = shlex::split(&grant.grant)
        .ok_or_else(|| Failure::bad_request("a quote in the grant is not closed"))?;
    changed(if add {
        state.cove.grant(API_ACTOR, &name, &words)
    } else {
        state.cove.revoke(API_ACTOR, &name, &words)
    })
}
