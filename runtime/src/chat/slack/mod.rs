//! Slack: Cove in a Slack workspace, through slack-morphism.
//!
//! Events arrive over Socket Mode ([`socket`], the default: no public URL) or the Events API
//! ([`events`]: `/slack/events`, `/slack/commands`, `/slack/interactivity` on `cove serve`'s
//! address, each request signature-checked). Both hand the same slack-morphism models to
//! [`Slack`], which turns them into [`ChatMessage`]s for the dispatcher:
//!
//! | trigger                           | counts as a command                       |
//! |-----------------------------------|-------------------------------------------|
//! | `/cove deploy api`                | always (`/cove` alone is `help`)          |
//! | `@cove deploy api` (app mention)  | always                                    |
//! | `!deploy api` in a channel        | when it starts with the prefix            |
//! | `deploy api` in a direct message  | always; a shared `.wasm` file is installed |
//! | a message from a bot (Cove too)   | never                                     |
//!
//! Each event id is handled once, however often Slack retries it. Replies go to the thread
//! the command was typed in; long ones into a thread of their own, split at Slack's limits;
//! errors, denials and usage hints only to the invoking user.

mod deliver;
mod events;
pub mod format;
mod identity;
mod interact;
pub mod signature;
mod socket;
mod upload;
mod web;

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use axum::Router;
use slack_morphism::prelude::*;

use super::ChatMessage;
use super::outbox::{ChatAdapter, Post, PostFuture};
use crate::config::SlackMode;
use crate::dispatch::Dispatcher;
use deliver::Origin;

/// Event ids remembered for de-duplication (Slack retries within minutes).
const REMEMBERED_EVENTS: usize = 10_000;

/// The Slack adapter of one process.
pub struct Slack {
    dispatcher: Arc<Dispatcher>,
    web: web::Web,
    identity: identity::Identity,
    seen: Mutex<(HashSet<String>, VecDeque<String>)>,
}

/// How events reach Cove, with the credential that transport needs.
enum Transport {
    /// Socket Mode, with the app-level token.
    Socket(String),
    /// The Events API, with the signing secret.
    Events(String),
}

/// Starts Slack when a bot token is configured: registers it for plugins' posts, starts
/// Socket Mode or returns the Events API routes to merge into `cove serve`'s router.
pub fn start(dispatcher: &Arc<Dispatcher>) -> anyhow::Result<Router> {
    let settings = dispatcher.cove().config.slack.clone();
    let Some(bot_token) = settings.bot_token.clone() else {
        return Ok(Router::new());
    };
    // Which transport, before anything starts: config validation makes the `bail` unreachable
    // for configurations loaded from file and environment.
    let transport = match (
        settings.effective_mode(),
        settings.app_token,
        settings.signing_secret,
    ) {
        (SlackMode::Socket, Some(app_token), _) => Transport::Socket(app_token),
        (SlackMode::Events, _, Some(secret)) => Transport::Events(secret),
        _ => anyhow::bail!("Slack is configured without the token or secret its mode needs"),
    };
    let slack = Arc::new(Slack {
        dispatcher: dispatcher.clone(),
        web: web::Web::new(&settings.api_url, &bot_token),
        identity: identity::Identity::default(),
        seen: Mutex::default(),
    });
    dispatcher.cove().outbox.register(slack.clone());
    interact::watch_installs(slack.clone());
    match transport {
        Transport::Socket(app_token) => {
            tracing::info!("Slack: Socket Mode");
            tokio::spawn(socket::run(slack, app_token));
            Ok(Router::new())
        }
        Transport::Events(secret) => {
            tracing::info!(
                "Slack: Events API at /slack/events, /slack/commands, /slack/interactivity"
            );
            Ok(events::routes(slack, secret))
        }
    }
}

impl Slack {
    /// True the first time `event_id` is seen.
    fn first_time(&self, event_id: &str) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if !seen.0.insert(event_id.to_string()) {
            return false;
        }
        seen.1.push_back(event_id.to_string());
        if seen.1.len() > REMEMBERED_EVENTS
            && let Some(old) = seen.1.pop_front()
        {
            seen.0.remove(&old);
        }
        true
    }

    async fn message(&self, user: &str, channel: &str, text: String) -> ChatMessage {
        ChatMessage {
            user: self.identity.user(&self.web, user).await,
            channel: self.identity.channel(&self.web, channel).await,
            text,
            thread: None,
            platform: "slack",
            prefix_optional: true,
        }
    }

    /// `/cove <text>`: answered through the command's `response_url`.
    pub async fn on_command(self: Arc<Self>, command: SlackCommandEvent) {
        let text = command.text.unwrap_or_default();
        let text = if text.trim().is_empty() {
            "help".to_string()
        } else {
            text
        };
        let msg = self
            .message(&command.user_id.0, &command.channel_id.0, text)
            .await;
        let origin = Origin {
            channel: command.channel_id.0,
            user: command.user_id.0,
            response_url: Some(command.response_url.0.to_string()),
            ..Origin::default()
        };
        let replies = self.dispatcher.handle(&msg).await;
        self.deliver(&origin, replies).await;
    }

    /// A pushed event (mention, message, file share), at most once per event id.
    pub async fn on_push(self: Arc<Self>, callback: SlackPushEventCallback) {
        if !self.first_time(&callback.event_id.0) {
            tracing::debug!(event = %callback.event_id.0, "Slack event already handled");
            return;
        }
        match callback.event {
            SlackEventCallbackBody::AppMention(mention) => {
                // Only `@cove …` addresses Cove: a mention later in a message (`!deploy api
                // @cove`) is also a channel message, and that one is handled as such.
                let text = mention.content.text.as_deref().unwrap_or_default();
                let Some(text) = strip_mention(text) else {
                    return;
                };
                let origin = Origin {
                    channel: mention.channel.0.clone(),
                    user: mention.user.0.clone(),
                    ts: Some(mention.origin.ts.0),
                    thread: mention.origin.thread_ts.map(|t| t.0),
                    response_url: None,
                };
                self.run(origin, text, true).await;
            }
            SlackEventCallbackBody::Message(message) => self.on_message(message).await,
            _ => {}
        }
    }

    async fn on_message(self: Arc<Self>, message: SlackMessageEvent) {
        use SlackMessageEventType as Subtype;
        let from_bot = message.sender.bot_id.is_some()
            || !matches!(message.subtype, None | Some(Subtype::FileShare));
        let (Some(user), Some(channel)) = (message.sender.user, message.origin.channel) else {
            return;
        };
        if from_bot {
            return;
        }
        let direct = matches!(message.origin.channel_type, Some(ref t) if t.0 == "im");
        let content = message.content.unwrap_or_else(SlackMessageContent::new);
        let origin = Origin {
            channel: channel.0,
            user: user.0,
            ts: Some(message.origin.ts.0),
            thread: message.origin.thread_ts.map(|t| t.0),
            response_url: None,
        };
        let files = content.files.unwrap_or_default();
        if direct && !files.is_empty() {
            self.install_files(&origin, &files).await;
            return;
        }
        let text = content.text.unwrap_or_default();
        if direct {
            let text = strip_mention(&text).unwrap_or(text);
            self.run(origin, text, true).await;
        } else {
            self.run(origin, text, false).await;
        }
    }

    /// Dispatches `text` from `origin` and delivers the replies.
    async fn run(&self, origin: Origin, text: String, prefix_optional: bool) {
        let mut msg = self.message(&origin.user, &origin.channel, text).await;
        msg.prefix_optional = prefix_optional;
        msg.thread = origin.thread.clone();
        let replies = self.dispatcher.handle(&msg).await;
        self.deliver(&origin, replies).await;
    }

    /// A button click.
    pub async fn on_interaction(self: Arc<Self>, event: SlackInteractionEvent) {
        if let SlackInteractionEvent::BlockActions(actions) = event {
            self.on_actions(actions).await;
        }
    }
}

/// The text after a leading `<@U…>` mention; `None` when the text does not start with one.
fn strip_mention(text: &str) -> Option<String> {
    let rest = text.trim_start().strip_prefix("<@")?;
    rest.split_once('>')
        .map(|(_, rest)| rest.trim().to_string())
}

impl ChatAdapter for Slack {
    fn platform(&self) -> &'static str {
        "slack"
    }

    /// A plugin's granted post: to the channel it names (resolved to an id), as mrkdwn.
    fn post<'a>(&'a self, post: &'a Post) -> PostFuture<'a> {
        Box::pin(async move {
            let channel = self.identity.channel_id(&self.web, &post.channel).await?;
            let out = web::Outgoing {
                channel,
                text: format::mrkdwn(&post.text),
                ..web::Outgoing::default()
            };
            self.web.post_message(&out).await.map(drop)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::strip_mention;

    #[test]
    fn a_leading_mention_is_removed() {
        for (text, expected) in [
            ("<@U123> deploy api", Some("deploy api")),
            ("  <@U123>   help", Some("help")),
            ("deploy <@U9>", None),
            ("!deploy api <@U9>", None),
            ("<@U123>", Some("")),
            ("<@broken", None),
        ] {
            assert_eq!(strip_mention(text).as_deref(), expected, "{text}");
        }
    }
}
