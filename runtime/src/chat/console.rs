//! Console chat: `cove chat` (a REPL on stdin/stdout) and `cove run "<line>"` (one line).
//! The prefix is optional here: `echo hi` and `!echo hi` both work.

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use super::outbox::{ChatAdapter, Post, PostFuture};
use super::{ChatChannel, ChatMessage, ChatReply, ChatUser};
use crate::dispatch::Dispatcher;

/// The console's user and channel, unless overridden.
pub const DEFAULT_USER: &str = "local";
/// The console's channel, unless overridden.
pub const DEFAULT_CHANNEL: &str = "console";

/// A console message from `user` in `channel`.
pub fn message(text: &str, user: &str, channel: &str) -> ChatMessage {
    ChatMessage {
        user: ChatUser {
            id: user.to_string(),
            name: user.to_string(),
            roles: vec![],
        },
        channel: ChatChannel {
            id: channel.to_string(),
            name: channel.to_string(),
        },
        text: text.to_string(),
        thread: None,
        platform: "console",
        prefix_optional: true,
    }
}

/// Reads lines from stdin until EOF or `/quit`, answering each.
pub async fn repl(dispatcher: &Dispatcher, user: &str, channel: &str) -> anyhow::Result<()> {
    let mut stdout = tokio::io::stdout();
    let interactive = std::io::IsTerminal::is_terminal(&std::io::stdin());
    if interactive {
        let greeting = format!(
            "Cove {} — chatting as `{user}` in #{channel}. Type `help`, or `/quit` to leave.\n",
            env!("CARGO_PKG_VERSION")
        );
        stdout.write_all(greeting.as_bytes()).await?;
    }
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        if interactive {
            stdout.write_all(b"> ").await?;
            stdout.flush().await?;
        }
        let Some(line) = lines.next_line().await? else {
            break;
        };
        if matches!(line.trim(), "/quit" | "/exit") {
            break;
        }
        for reply in dispatcher.handle(&message(&line, user, channel)).await {
            stdout.write_all(render(&reply).as_bytes()).await?;
        }
        stdout.flush().await?;
    }
    Ok(())
}

/// Prints plugins' posts to stdout as `[#channel] plugin: text`.
pub struct ConsolePosts;

impl ChatAdapter for ConsolePosts {
    fn platform(&self) -> &'static str {
        "console"
    }

    fn post<'a>(&'a self, post: &'a Post) -> PostFuture<'a> {
        Box::pin(async move {
            let line = format!("[#{}] {}: {}\n", post.channel, post.plugin, post.text);
            let mut stdout = tokio::io::stdout();
            stdout.write_all(line.as_bytes()).await?;
            stdout.flush().await?;
            Ok(())
        })
    }
}

/// A reply as console text, ending in a newline.
pub fn render(reply: &ChatReply) -> String {
    let mut text = reply.text.clone();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}
