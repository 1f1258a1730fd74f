//! Replies back to Slack.
//!
//! | reply                        | where it goes                                              |
//! |------------------------------|------------------------------------------------------------|
//! | ephemeral (errors, denials)  | `response_url` (commands, buttons) or `chat.postEphemeral`  |
//! | short, to a slash command    | `response_url`, visible in the channel                     |
//! | short, to a message          | `chat.postMessage`, in the message's thread if it had one  |
//! | long (many lines or chars)   | `chat.postMessage` pieces in a thread                      |
//! | asks to confirm              | adds Confirm / Cancel buttons                              |

use serde_json::{Value, json};

use super::Slack;
use super::format::{self, MAX_MESSAGE_CHARS};
use super::web::Outgoing;
use crate::chat::ChatReply;

/// Where a command came from: where its replies go.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// Channel id.
    pub channel: String,
    /// The invoking user's id.
    pub user: String,
    /// The invoking message's `ts` (none for slash commands and buttons).
    pub ts: Option<String>,
    /// The thread the command was typed in.
    pub thread: Option<String>,
    /// A slash command's or button's `response_url`.
    pub response_url: Option<String>,
}

/// Action ids of Cove's buttons.
pub const CONFIRM: &str = "cove_confirm";
/// Cancels a pending dangerous command.
pub const CANCEL: &str = "cove_cancel";

impl Slack {
    /// Delivers every reply; a failure is logged and the next reply still goes out.
    pub async fn deliver(&self, origin: &Origin, replies: Vec<ChatReply>) {
        for reply in replies {
            if let Err(e) = self.deliver_one(origin, &reply).await {
                tracing::warn!(channel = %origin.channel, "cannot deliver a Slack reply: {e:#}");
            }
        }
    }

    async fn deliver_one(&self, origin: &Origin, reply: &ChatReply) -> anyhow::Result<()> {
        let text = format::mrkdwn(&reply.text);
        let blocks = reply
            .confirm
            .as_deref()
            .map(|code| confirm_blocks(&text, code));
        let long = format::is_long(&text);
        let pieces = format::split(&text, MAX_MESSAGE_CHARS);
        if reply.ephemeral {
            for (i, piece) in pieces.into_iter().enumerate() {
                let blocks = if i == 0 { blocks.clone() } else { None };
                self.ephemeral(origin, piece, blocks).await?;
            }
            return Ok(());
        }
        if let (Some(url), false) = (&origin.response_url, long) {
            let body = json!({ "response_type": "in_channel", "text": text });
            return self.web.respond(url, &body).await;
        }
        let mut thread = origin
            .thread
            .clone()
            .or_else(|| long.then(|| origin.ts.clone()).flatten());
        for piece in pieces {
            let out = Outgoing {
                channel: origin.channel.clone(),
                text: piece,
                thread: thread.clone(),
                blocks: None,
            };
            let ts = self.web.post_message(&out).await?;
            // A long answer to a slash command starts its own thread with the first piece.
            if thread.is_none() && long && !ts.is_empty() {
                thread = Some(ts);
            }
        }
        Ok(())
    }

    /// Text only the invoking user sees.
    pub async fn ephemeral(
        &self,
        origin: &Origin,
        text: String,
        blocks: Option<Value>,
    ) -> anyhow::Result<()> {
        match &origin.response_url {
            Some(url) => {
                let mut body = json!({ "response_type": "ephemeral", "text": text });
                if let Some(blocks) = blocks {
                    body["blocks"] = blocks;
                }
                self.web.respond(url, &body).await
            }
            None => {
                let out = Outgoing {
                    channel: origin.channel.clone(),
                    text,
                    thread: origin.thread.clone(),
                    blocks,
                };
                self.web.post_ephemeral(&out, &origin.user).await
            }
        }
    }
}

/// The prompt with Confirm and Cancel buttons carrying the confirmation code.
fn confirm_blocks(text: &str, code: &str) -> Value {
    json!([
        { "type": "section", "text": { "type": "mrkdwn", "text": text } },
        { "type": "actions", "block_id": "cove_confirmation", "elements": [
            { "type": "button", "action_id": CONFIRM, "style": "danger", "value": code,
              "text": { "type": "plain_text", "text": "Confirm" } },
            { "type": "button", "action_id": CANCEL, "value": code,
              "text": { "type": "plain_text", "text": "Cancel" } }
        ]}
    ])
}
