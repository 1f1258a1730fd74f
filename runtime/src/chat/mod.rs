//! Chat adapters. Each turns its platform's messages into [`ChatMessage`]s, hands them to the
//! [`Dispatcher`](crate::dispatch::Dispatcher), and delivers the [`ChatReply`]s.

pub mod console;
pub mod http;
pub mod outbox;
pub mod slack;

use serde::{Deserialize, Serialize};

/// Who wrote a message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatUser {
    /// Platform user id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Roles known for the user.
    pub roles: Vec<String>,
}

/// Where a message was written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatChannel {
    /// Platform channel id.
    pub id: String,
    /// Channel name.
    pub name: String,
}

/// One incoming chat message.
#[derive(Debug, Clone)]
pub struct ChatMessage {
    pub user: ChatUser,
    pub channel: ChatChannel,
    /// The message text as typed.
    pub text: String,
    /// The thread it was written in, if any.
    pub thread: Option<String>,
    /// `console`, `http`, `slack`, ….
    pub platform: &'static str,
    /// Whether the line counts as a command without the prefix (the console does this).
    pub prefix_optional: bool,
}

/// How a reply should be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyKind {
    /// The command's answer.
    Ok,
    /// The arguments were wrong; the text shows the usage.
    Usage,
    /// The command or Cove refused or failed.
    Error,
}

/// One answer to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatReply {
    /// Markdown text.
    pub text: String,
    /// Only for the invoking user, where the platform supports it.
    pub ephemeral: bool,
    /// What kind of answer this is.
    pub kind: ReplyKind,
    /// The confirmation code when this reply asks to confirm a dangerous command (adapters
    /// with buttons offer Confirm/Cancel for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm: Option<String>,
}

impl ChatReply {
    /// A successful answer.
    pub fn ok(text: impl Into<String>) -> Self {
        ChatReply {
            text: text.into(),
            ephemeral: false,
            kind: ReplyKind::Ok,
            confirm: None,
        }
    }

    /// An error or refusal, shown only to the invoker.
    pub fn error(text: impl Into<String>) -> Self {
        ChatReply {
            text: text.into(),
            ephemeral: true,
            kind: ReplyKind::Error,
            confirm: None,
        }
    }

    /// A usage hint, shown only to the invoker.
    pub fn usage(text: impl Into<String>) -> Self {
        ChatReply {
            text: text.into(),
            ephemeral: true,
            kind: ReplyKind::Usage,
            confirm: None,
        }
    }
}
