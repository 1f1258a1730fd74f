//! From a chat message to a reply: parse the line, find the command, check its arguments,
//! run it in a fresh sandbox instance, and turn the outcome into text.

mod args;
mod help;
mod line;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::app::Cove;
use crate::chat::{ChatMessage, ChatReply};
use crate::registry::{Catalog, LoadedPlugin};
use crate::sandbox::{self, CommandError, Invocation};

pub use args::usage;
pub use line::{CommandLine, parse};

/// Routes chat messages to plugins.
pub struct Dispatcher {
    cove: Arc<Cove>,
    next_id: AtomicU64,
    id_prefix: String,
}

/// Where a command line leads.
enum Route {
    Run(Arc<LoadedPlugin>),
    Reply(ChatReply),
}

impl Dispatcher {
    /// A dispatcher serving the plugins of `cove`.
    pub fn new(cove: Arc<Cove>) -> Self {
        let id_prefix = format!("{:x}", crate::now_ms() & 0xff_ffff);
        Dispatcher {
            cove,
            next_id: AtomicU64::new(1),
            id_prefix,
        }
    }

    /// The Cove this dispatcher serves.
    pub fn cove(&self) -> &Arc<Cove> {
        &self.cove
    }

    /// Handles one message; `None` when it does not address Cove.
    pub async fn handle(&self, msg: &ChatMessage) -> Option<ChatReply> {
        let prefix = &self.cove.config.prefix;
        let line = line::parse(&msg.text, prefix, msg.prefix_optional)?;
        let catalog = self.cove.registry.snapshot();
        let plugin = match self.route(&catalog, &line) {
            Route::Run(plugin) => plugin,
            Route::Reply(reply) => return Some(reply),
        };
        drop(catalog);
        Some(self.run(&plugin, &line, msg).await)
    }

    fn route(&self, catalog: &Catalog, line: &CommandLine<'_>) -> Route {
        let prefix = &self.cove.config.prefix;
        if line.plugin.is_none() {
            match line.command.as_str() {
                "help" => return Route::Reply(self.help(catalog, line.raw)),
                "cove" => return Route::Reply(builtin_cove(catalog, line.raw)),
                "confirm" => {
                    return Route::Reply(ChatReply::error(
                        "There is nothing waiting for confirmation.",
                    ));
                }
                _ => {}
            }
        }
        match &line.plugin {
            Some(owner) => match catalog.plugin(owner) {
                Some(p) if p.command(&line.command).is_some() => Route::Run(p.clone()),
                Some(_) => Route::Reply(ChatReply::error(format!(
                    "The {owner} plugin has no command `{}`. Try `{prefix}help`.",
                    line.command
                ))),
                None => Route::Reply(ChatReply::error(format!(
                    "No plugin named `{owner}` is installed."
                ))),
            },
            None => match catalog.owners(&line.command) {
                [] => Route::Reply(unknown_command(catalog, &line.command, prefix)),
                [only] => catalog
                    .plugin(only)
                    .map(|p| Route::Run(p.clone()))
                    .unwrap_or_else(|| {
                        Route::Reply(unknown_command(catalog, &line.command, prefix))
                    }),
                several => {
                    let choices: Vec<String> = several
                        .iter()
                        .map(|p| format!("`{prefix}{p}:{}`", line.command))
                        .collect();
                    Route::Reply(ChatReply::usage(format!(
                        "`{}` is offered by several plugins; say which one: {}.",
                        line.command,
                        choices.join(" or ")
                    )))
                }
            },
        }
    }

    fn help(&self, catalog: &Catalog, raw: &str) -> ChatReply {
        let prefix = &self.cove.config.prefix;
        let topic = raw.split_whitespace().next().unwrap_or("");
        if topic.is_empty() {
            return ChatReply::ok(help::overview(catalog, prefix));
        }
        let topic = topic.trim_start_matches(prefix.as_str()).to_lowercase();
        let (owner, command) = match topic.split_once(':') {
            Some((p, c)) => (Some(p), c),
            None => (None, topic.as_str()),
        };
        let owners: Vec<&str> = match owner {
            Some(p) => vec![p],
            None => catalog.owners(command).iter().map(String::as_str).collect(),
        };
        let texts: Vec<String> = owners
            .iter()
            .filter_map(|p| catalog.plugin(p))
            .filter_map(|p| help::command_help(p, command, prefix))
            .collect();
        if texts.is_empty() {
            return unknown_command(catalog, command, prefix);
        }
        ChatReply::ok(texts.join("\n\n"))
    }

    async fn run(
        &self,
        plugin: &LoadedPlugin,
        line: &CommandLine<'_>,
        msg: &ChatMessage,
    ) -> ChatReply {
        let prefix = &self.cove.config.prefix;
        let Some(spec) = plugin.command(&line.command) else {
            return unknown_command(&self.cove.registry.snapshot(), &line.command, prefix);
        };
        let usage_line = || args::usage(prefix, spec);
        // An apostrophe in free text ("don't") is not a quote: commands ending in free text
        // get whitespace-split words instead of an error.
        let arguments = match line::split_args(line.raw) {
            Some(arguments) => arguments,
            None if args::ends_in_free_text(spec) => {
                line.raw.split_whitespace().map(String::from).collect()
            }
            None => {
                return ChatReply::usage(format!(
                    "A quote is not closed.\nUsage: `{}`",
                    usage_line()
                ));
            }
        };
        if let Err(problem) = args::check(spec, &arguments) {
            return ChatReply::usage(format!("{problem}.\nUsage: `{}`", usage_line()));
        }
        let invocation = Invocation {
            id: self.invocation_id(),
            command: line.command.clone(),
            args: arguments,
            raw: line.raw.to_string(),
            user: sandbox::bindings::cove::plugin::types::User {
                id: msg.user.id.clone(),
                name: msg.user.name.clone(),
                roles: msg.user.roles.clone(),
            },
            channel: sandbox::bindings::cove::plugin::types::Channel {
                id: msg.channel.id.clone(),
                name: msg.channel.name.clone(),
            },
            thread: msg.thread.clone(),
            platform: msg.platform.to_string(),
        };
        let outcome = self.invoke(plugin, &invocation).await;
        let reply_cap = self.cove.config.limits.reply_bytes as usize;
        match outcome {
            Ok(Ok(reply)) => ChatReply {
                ephemeral: reply.ephemeral,
                ..ChatReply::ok(cap_reply(reply.text, reply_cap))
            },
            Ok(Err(CommandError::Usage(why))) => ChatReply::usage(cap_reply(
                format!("{why}\nUsage: `{}`", usage_line()),
                reply_cap,
            )),
            Ok(Err(CommandError::Failed(why))) => {
                ChatReply::error(cap_reply(format!("error: {why}"), reply_cap))
            }
            Ok(Err(CommandError::Denied(why))) => {
                ChatReply::error(cap_reply(format!("denied: {why}"), reply_cap))
            }
            Err(e) => {
                tracing::warn!(plugin = %plugin.name(), invocation = %invocation.id, kind = e.kind(), "{e}");
                ChatReply::error(format!("error: {e}."))
            }
        }
    }

    /// Runs one command in a fresh instance, waiting for a free in-flight slot.
    pub async fn invoke(
        &self,
        plugin: &LoadedPlugin,
        invocation: &Invocation,
    ) -> Result<Result<sandbox::Reply, CommandError>, sandbox::SandboxError> {
        let _permit = plugin.in_flight.acquire().await.ok();
        let running = self
            .cove
            .sandbox
            .instantiate(&plugin.pre, &plugin.context, invocation.id.as_str().into())
            .await?;
        running.handle_command(invocation).await
    }

    fn invocation_id(&self) -> String {
        format!(
            "{}-{}",
            self.id_prefix,
            self.next_id.fetch_add(1, Ordering::Relaxed)
        )
    }
}

fn unknown_command(catalog: &Catalog, typed: &str, prefix: &str) -> ChatReply {
    let hint = match help::nearest(catalog, typed) {
        Some(near) => format!(" Did you mean `{prefix}{near}`?"),
        None => String::new(),
    };
    ChatReply::error(format!(
        "Unknown command `{typed}`.{hint} `{prefix}help` lists the commands."
    ))
}

/// `!cove …`: information about Cove itself.
fn builtin_cove(catalog: &Catalog, raw: &str) -> ChatReply {
    match raw.split_whitespace().next().unwrap_or("") {
        "" | "version" => ChatReply::ok(format!(
            "Cove {} — {} plugins loaded. `!cove plugins` lists them.",
            env!("CARGO_PKG_VERSION"),
            catalog.plugins().count()
        )),
        "plugins" => {
            let lines: Vec<String> = catalog
                .plugins()
                .map(|p| {
                    format!(
                        "• {} {} — {}",
                        p.name(),
                        p.manifest.version,
                        p.manifest.description
                    )
                })
                .collect();
            ChatReply::ok(if lines.is_empty() {
                "No plugins installed.".into()
            } else {
                lines.join("\n")
            })
        }
        other => ChatReply::usage(format!(
            "Unknown `cove` command `{other}`. Try `!cove plugins` or `!cove version`."
        )),
    }
}

/// Cuts a reply to `max` bytes, with a marker saying how much was left out.
pub fn cap_reply(text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let kept = sandbox::truncate_str(&text, max);
    format!(
        "{kept}\n… [reply truncated: {} of {} bytes shown]",
        kept.len(),
        text.len()
    )
}

#[cfg(test)]
mod tests {
    use super::cap_reply;

    #[test]
    fn long_replies_are_cut_with_a_marker() {
        assert_eq!(cap_reply("short".into(), 10), "short");
        let cut = cap_reply("é".repeat(100), 11);
        assert!(
            cut.starts_with("ééééé\n… [reply truncated: 10 of 200 bytes shown]"),
            "{cut}"
        );
    }
}
