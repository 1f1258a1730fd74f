//! The Events API over HTTP, served by `cove serve` on its `--listen` address.
//!
//! | route                        | body                                  | answer                     |
//! |------------------------------|---------------------------------------|----------------------------|
//! | `POST /slack/events`         | JSON (`url_verification`, events)     | the challenge, or `200`    |
//! | `POST /slack/commands`       | form (`command`, `text`, …)           | `200` at once; replies later via `response_url` |
//! | `POST /slack/interactivity`  | form with a JSON `payload`            | `200` at once              |
//!
//! Every request must carry a valid, fresh Slack signature; otherwise the answer is `401`
//! and nothing is parsed or run. Work happens after the answer, so Slack's 3-second
//! deadline holds however slow a plugin is.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};
use slack_morphism::prelude::*;

use super::Slack;
use super::signature::{self, SignatureError};

/// Largest request body accepted from Slack.
const MAX_BODY_BYTES: usize = 1 << 20;

#[derive(Clone)]
struct Endpoint {
    slack: Arc<Slack>,
    secret: Arc<str>,
}

/// The three Slack routes, verifying signatures with `secret`.
pub fn routes(slack: Arc<Slack>, secret: String) -> Router {
    Router::new()
        .route("/slack/events", post(events))
        .route("/slack/commands", post(commands))
        .route("/slack/interactivity", post(interactivity))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(Endpoint {
            slack,
            secret: secret.into(),
        })
}

fn check(endpoint: &Endpoint, headers: &HeaderMap, body: &[u8]) -> Result<(), SignatureError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    signature::verify(
        &endpoint.secret,
        header("x-slack-signature"),
        header("x-slack-request-timestamp"),
        body,
        signature::now_seconds(),
    )
}

fn refuse(e: SignatureError) -> Response {
    tracing::warn!("refused a Slack request: {e}");
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({ "error": e.to_string() })),
    )
        .into_response()
}

fn bad_request(what: &str, e: impl std::fmt::Display) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({ "error": format!("invalid Slack {what}: {e}") })),
    )
        .into_response()
}

async fn events(State(endpoint): State<Endpoint>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(e) = check(&endpoint, &headers, &body) {
        return refuse(e);
    }
    match serde_json::from_slice::<SlackPushEvent>(&body) {
        Ok(SlackPushEvent::UrlVerification(v)) => {
            axum::Json(json!({ "challenge": v.challenge })).into_response()
        }
        Ok(SlackPushEvent::EventCallback(callback)) => {
            tokio::spawn(endpoint.slack.clone().on_push(callback));
            StatusCode::OK.into_response()
        }
        Ok(SlackPushEvent::AppRateLimited(_)) => StatusCode::OK.into_response(),
        Err(e) => bad_request("event", e),
    }
}

/// A form body as a JSON object of strings (what slack-morphism's models deserialize from).
fn form(body: &[u8]) -> Value {
    let fields: Map<String, Value> = url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    Value::Object(fields)
}

async fn commands(State(endpoint): State<Endpoint>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(e) = check(&endpoint, &headers, &body) {
        return refuse(e);
    }
    match serde_json::from_value::<SlackCommandEvent>(form(&body)) {
        Ok(command) => {
            tokio::spawn(endpoint.slack.clone().on_command(command));
            StatusCode::OK.into_response()
        }
        Err(e) => bad_request("command", e),
    }
}

async fn interactivity(
    State(endpoint): State<Endpoint>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(e) = check(&endpoint, &headers, &body) {
        return refuse(e);
    }
    let payload = form(&body)["payload"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    match serde_json::from_str::<SlackInteractionEvent>(&payload) {
        Ok(event) => {
            tokio::spawn(endpoint.slack.clone().on_interaction(event));
            StatusCode::OK.into_response()
        }
        Err(e) => bad_request("interaction payload", e),
    }
}
