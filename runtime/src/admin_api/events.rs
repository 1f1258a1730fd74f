//! `/api/v1/events`: the queue of webhook deliveries and schedule ticks.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::model::{ApiError, EventSummary, Message};
use super::{API_ACTOR, Answer, ApiState, Failure};

/// Which events `GET /api/v1/events` lists.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListQuery {
    /// Dead-lettered events (out of attempts) instead of pending ones.
    #[serde(default)]
    failed: bool,
    /// At most this many, 1–1000 (default 100), oldest first.
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(ListQuery),
    responses((status = 200, body = Vec<EventSummary>, description = "Pending (or dead-lettered) events, oldest first")))]
pub(super) async fn list(
    State(state): State<ApiState>,
    Query(q): Query<ListQuery>,
) -> Answer<Vec<EventSummary>> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    Ok(axum::Json(state.cove.event_summaries(q.failed, limit)?))
}

#[utoipa::path(post, path = "/api/v1/events/{id}/retry", tag = "events",
    params(("id" = u64, Path, description = "The event id, as the list shows it")),
    responses(
        (status = 200, body = Message, description = "Queued for delivery again"),
        (status = 404, body = ApiError, description = "No dead-lettered event with that id"),
    ))]
pub(super) async fn retry(State(state): State<ApiState>, Path(id): Path<u64>) -> Answer<Message> {
    match state.cove.retry_event(API_ACTOR, id) {
        Ok(message) => Ok(axum::Json(Message { message })),
        Err(e) => Err(Failure(StatusCode::NOT_FOUND, format!("{e:#}"))),
    }
}
