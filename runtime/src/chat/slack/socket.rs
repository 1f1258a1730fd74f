//! Socket Mode: `apps.connections.open` with the app token gives a websocket URL; Slack sends
//! envelopes over it and Cove acknowledges each one (`{"envelope_id": …}`) before handling it.
//!
//! Cove runs its own loop over tokio-tungstenite instead of slack-morphism's Socket Mode
//! listener: that listener installs its own signal handlers, reconnects after a fixed 30 s,
//! and only takes plain function callbacks; here a dropped socket is reopened with a backoff
//! that starts at half a second and doubles up to [`MAX_BACKOFF`], and resets once Slack says
//! `hello` again. The envelope is read by [`Envelope`] (slack-morphism 2.31.1 does not export
//! its socket-mode models: `slack_morphism::socket_mode` names the listener module); the
//! payloads inside are slack-morphism's event models.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio_tungstenite::tungstenite::Message;

use super::Slack;

/// First wait before reconnecting.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How often Cove pings Slack; a connection silent for three intervals is reopened (a
/// half-open TCP connection would otherwise wait forever).
const PING_EVERY: Duration = Duration::from_secs(30);

type Writer = futures_util::stream::SplitSink<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    Message,
>;

/// Keeps one Socket Mode connection open for the life of the process.
pub async fn run(slack: Arc<Slack>, app_token: String) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        match session(&slack, &app_token, &mut backoff).await {
            Ok(()) => tracing::info!("Slack socket closed; reconnecting"),
            Err(e) => tracing::warn!(
                "Slack socket failed: {e:#}; reconnecting in {} ms",
                backoff.as_millis()
            ),
        }
        tokio::time::sleep(backoff).await;
        backoff = next_backoff(backoff);
    }
}

/// The wait after `backoff`: doubled, at most [`MAX_BACKOFF`].
fn next_backoff(backoff: Duration) -> Duration {
    (backoff * 2).min(MAX_BACKOFF)
}

/// One connection, until Slack closes it, asks Cove to reconnect, or falls silent.
async fn session(
    slack: &Arc<Slack>,
    app_token: &str,
    backoff: &mut Duration,
) -> anyhow::Result<()> {
    let url = slack.web.open_socket(app_token).await?;
    let (socket, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .context("cannot open the Socket Mode websocket")?;
    let (mut write, mut read) = socket.split();
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let mut last_heard = tokio::time::Instant::now();
    loop {
        let frame = tokio::select! {
            frame = read.next() => frame,
            _ = ping.tick() => {
                if last_heard.elapsed() > PING_EVERY * 3 {
                    anyhow::bail!("Slack has not answered for {} s", last_heard.elapsed().as_secs());
                }
                write.send(Message::Ping(Vec::new().into())).await.context("cannot ping Slack")?;
                continue;
            }
        };
        let Some(frame) = frame else {
            return Ok(());
        };
        last_heard = tokio::time::Instant::now();
        match frame.context("the Socket Mode websocket failed")? {
            Message::Text(text) if !on_frame(slack, &mut write, &text, backoff).await? => {
                return Ok(());
            }
            Message::Close(_) => return Ok(()),
            _ => {}
        }
    }
}

/// Acknowledges and handles one text frame; false when Slack asks Cove to reconnect.
async fn on_frame(
    slack: &Arc<Slack>,
    write: &mut Writer,
    text: &str,
    backoff: &mut Duration,
) -> anyhow::Result<bool> {
    let envelope: Envelope = match serde_json::from_str(text) {
        Ok(envelope) => envelope,
        Err(e) => {
            tracing::warn!("unreadable Socket Mode frame: {e}");
            return Ok(true);
        }
    };
    if let Some(id) = &envelope.envelope_id {
        // Acknowledge first: Slack redelivers what is not acknowledged within seconds.
        let ack = serde_json::json!({ "envelope_id": id }).to_string();
        write
            .send(Message::Text(ack.into()))
            .await
            .context("cannot acknowledge a Socket Mode envelope")?;
    }
    match envelope.kind.as_str() {
        "hello" => {
            tracing::info!("Slack Socket Mode connected");
            *backoff = FIRST_BACKOFF;
        }
        "disconnect" => {
            tracing::info!(reason = %envelope.reason, "Slack asked to reconnect");
            return Ok(false);
        }
        _ => dispatch(slack, envelope),
    }
    Ok(true)
}

/// One Socket Mode frame: `hello`, `disconnect`, or an envelope with a payload.
#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    envelope_id: Option<String>,
    #[serde(default)]
    payload: serde_json::Value,
    #[serde(default)]
    reason: String,
}

/// Hands an envelope's payload to the adapter as slack-morphism's model for its kind.
fn dispatch(slack: &Arc<Slack>, envelope: Envelope) {
    let slack = slack.clone();
    let outcome = match envelope.kind.as_str() {
        "events_api" => {
            serde_json::from_value(envelope.payload).map(|p| drop(tokio::spawn(slack.on_push(p))))
        }
        "slash_commands" => serde_json::from_value(envelope.payload)
            .map(|p| drop(tokio::spawn(slack.on_command(p)))),
        "interactive" => serde_json::from_value(envelope.payload)
            .map(|p| drop(tokio::spawn(slack.on_interaction(p)))),
        other => {
            tracing::debug!(kind = other, "ignored a Socket Mode envelope");
            Ok(())
        }
    };
    if let Err(e) = outcome {
        tracing::warn!(kind = %envelope.kind, "unreadable Socket Mode payload: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_a_ceiling() {
        let mut waits = vec![FIRST_BACKOFF];
        for _ in 0..8 {
            waits.push(next_backoff(*waits.last().unwrap()));
        }
        let ms: Vec<u128> = waits.iter().map(Duration::as_millis).collect();
        assert_eq!(
            ms,
            [
                500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000
            ]
        );
    }
}
