//! HTTP chat: `POST /api/v1/messages` with `{"user", "channel", "text"}` returns the replies.
//! Used by integration tests, load tests and anything that wants Cove without a chat service.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::{ChatChannel, ChatMessage, ChatReply, ChatUser};
use crate::dispatch::Dispatcher;

/// Largest request body accepted, in bytes: a chat line, not an upload.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// The JSON body of `POST /api/v1/messages`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageRequest {
    /// User id (also used as the display name).
    pub user: String,
    /// Channel id (also used as the channel name).
    pub channel: String,
    /// The message text, e.g. `!echo hi`.
    pub text: String,
    /// Thread id, if the message is in a thread.
    #[serde(default)]
    pub thread: Option<String>,
}

/// The JSON answer: zero replies when the text was not a command.
#[derive(Debug, Serialize, Deserialize)]
pub struct MessageResponse {
    pub replies: Vec<ChatReply>,
}

/// Serves `router` on `listener` with Nagle's algorithm off: replies are small and a chat
/// client waits for each one, so batching writes would only add latency.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// The routes of the chat API, plus `/healthz`.
pub fn routes(dispatcher: Arc<Dispatcher>) -> Router {
    Router::new()
        .route("/api/v1/messages", post(post_message))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_MESSAGE_BYTES))
        .with_state(dispatcher)
}

async fn post_message(State(dispatcher): State<Arc<Dispatcher>>, body: Bytes) -> Response {
    let request: MessageRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(format!("invalid message: {e}")),
    };
    for (field, value) in [("user", &request.user), ("channel", &request.channel)] {
        if value.trim().is_empty() {
            return bad_request(format!("invalid message: `{field}` must not be empty"));
        }
    }
    let message = ChatMessage {
        user: ChatUser {
            id: request.user.clone(),
            name: request.user,
            roles: vec![],
        },
        channel: ChatChannel {
            id: request.channel.clone(),
            name: request.channel,
        },
        text: request.text,
        thread: request.thread,
        platform: "http",
        prefix_optional: false,
    };
    let replies = dispatcher.handle(&message).await;
    axum::Json(MessageResponse { replies }).into_response()
}

/// Liveness and a little state: the store answers and how many plugins serve.
async fn healthz(State(dispatcher): State<Arc<Dispatcher>>) -> Response {
    let cove = dispatcher.cove();
    let plugins = cove.registry.snapshot().plugins().count();
    match cove.store.meta("first-party-seeded") {
        Ok(_) => {
            axum::Json(serde_json::json!({ "status": "ok", "plugins": plugins })).into_response()
        }
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({ "status": "error", "error": format!("{e:#}") })),
        )
            .into_response(),
    }
}

/// Prometheus text format.
async fn metrics(State(dispatcher): State<Arc<Dispatcher>>) -> Response {
    let body = dispatcher.cove().metrics.render();
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        body,
    )
        .into_response()
}

fn bad_request(error: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(serde_json::json!({ "error": error })),
    )
        .into_response()
}
