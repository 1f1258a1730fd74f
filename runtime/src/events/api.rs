//! The admin API of the event queue, merged into the token-protected `/api/v1/` routes.
//!
//! | method | path | does |
//! |---|---|---|
//! | GET | `/api/v1/events?failed=true&limit=` | pending (or dead-lettered) events, oldest first |
//! | POST | `/api/v1/events/{id}/retry` | puts a dead-lettered event back in the queue |

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::app::Cove;

/// The audit actor of API calls (as in [`crate::admin_api`]).
const API_ACTOR: &str = "api";

/// The routes; the caller puts them behind its token check.
pub fn routes<S>(cove: Arc<Cove>) -> Router<S> {
    Router::new()
        .route("/api/v1/events", axum::routing::get(list))
        .route("/api/v1/events/{id}/retry", axum::routing::post(retry))
        .with_state(cove)
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    failed: bool,
    limit: Option<usize>,
}

async fn list(State(cove): State<Arc<Cove>>, Query(q): Query<ListQuery>) -> Response {
    match cove
        .events
        .list(q.failed, q.limit.unwrap_or(100).clamp(1, 1000))
    {
        Ok(events) => {
            axum::Json(events.iter().map(super::to_json).collect::<Vec<_>>()).into_response()
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")),
    }
}

async fn retry(State(cove): State<Arc<Cove>>, Path(id): Path<u64>) -> Response {
    match cove.retry_event(API_ACTOR, id) {
        Ok(message) => axum::Json(json!({ "message": message })).into_response(),
        Err(e) => error(StatusCode::NOT_FOUND, format!("{e:#}")),
    }
}

fn error(status: StatusCode, message: String) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

impl Cove {
    /// `cove events retry <id>`: requeues a dead letter, audited.
    pub fn retry_event(&self, actor: &str, id: u64) -> anyhow::Result<String> {
        self.events.retry(id)?;
        self.audit.record(crate::store::AuditEvent {
            actor: actor.to_string(),
            action: "event.retry".to_string(),
            detail: format!("event #{id}"),
            outcome: "ok".into(),
            ..Default::default()
        })?;
        Ok(format!("Event {id} is queued for delivery again."))
    }
}
