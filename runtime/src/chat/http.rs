//! HTTP chat: `POST /api/v1/messages` with `{"user", "channel", "text"}` returns the replies;
//! `GET /api/v1/posts?channel=&after=` lists what plugins posted to channels.
//! Used by integration tests, load tests and anything that wants Cove without a chat service.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::outbox::{ChatAdapter, Outbox, Post, PostFuture};
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

/// Posts kept for `GET /api/v1/posts`; older ones are dropped first.
pub const KEPT_POSTS: usize = 1_000;

/// The HTTP chat's side of posting: the most recent posts, numbered, for clients to poll
/// with `GET /api/v1/posts?channel=ops&after=<seq>`.
#[derive(Default)]
pub struct RecentPosts {
    posts: std::sync::Mutex<(u64, std::collections::VecDeque<NumberedPost>)>,
}

/// A post as `GET /api/v1/posts` lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NumberedPost {
    /// Increases by one per post, from 1.
    pub seq: u64,
    #[serde(flatten)]
    pub post: Post,
}

impl RecentPosts {
    /// Kept posts after `after`, in `channel` when given, oldest first.
    pub fn since(&self, channel: Option<&str>, after: u64) -> Vec<NumberedPost> {
        let channel = channel.map(|c| c.strip_prefix('#').unwrap_or(c));
        let posts = self.posts.lock().unwrap_or_else(|e| e.into_inner());
        posts
            .1
            .iter()
            .filter(|p| p.seq > after && channel.is_none_or(|c| p.post.channel == c))
            .cloned()
            .collect()
    }
}

impl ChatAdapter for RecentPosts {
    fn platform(&self) -> &'static str {
        "http"
    }

    fn post<'a>(&'a self, post: &'a Post) -> PostFuture<'a> {
        let mut posts = self.posts.lock().unwrap_or_else(|e| e.into_inner());
        posts.0 += 1;
        let seq = posts.0;
        if posts.1.len() == KEPT_POSTS {
            posts.1.pop_front();
        }
        posts.1.push_back(NumberedPost {
            seq,
            post: post.clone(),
        });
        Box::pin(async { Ok(()) })
    }
}

#[derive(Deserialize)]
struct PostsQuery {
    channel: Option<String>,
    #[serde(default)]
    after: u64,
}

/// `GET /api/v1/posts`: registers a [`RecentPosts`] with the outbox and serves it.
pub fn post_routes(outbox: &Outbox) -> Router {
    let recent = Arc::new(RecentPosts::default());
    outbox.register(recent.clone());
    Router::new()
        .route("/api/v1/posts", get(list_posts))
        .with_state(recent)
}

async fn list_posts(
    State(recent): State<Arc<RecentPosts>>,
    Query(query): Query<PostsQuery>,
) -> Response {
    let posts = recent.since(query.channel.as_deref(), query.after);
    axum::Json(serde_json::json!({ "posts": posts })).into_response()
}

/// The routes of the chat API, plus `/healthz`, `/metrics` and the posts feed.
pub fn routes(dispatcher: Arc<Dispatcher>) -> Router {
    let posts = post_routes(&dispatcher.cove().outbox);
    Router::new()
        .route("/api/v1/messages", post(post_message))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_MESSAGE_BYTES))
        .with_state(dispatcher)
        .merge(posts)
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
