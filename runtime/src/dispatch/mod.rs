//! From a chat message to replies: parse the line, find the command, check who may run it,
//! check its arguments, ask for confirmation when it is dangerous, run it in a fresh sandbox
//! instance, and turn the outcome — and anything the permission gate refused — into text.
//! Every invocation and every denial goes to the audit log.

mod admin;
mod args;
mod call;
mod help;
mod line;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::app::Cove;
use crate::chat::{ChatMessage, ChatReply};
use crate::permissions::{Denial, redact};
use crate::policy::acl::Subject;
use crate::registry::{Catalog, LoadedPlugin};
use crate::sandbox::bindings::cove::plugin::types::{Channel, User};
use crate::sandbox::{self, CallReport, CommandError, Invocation, SandboxError};
use crate::store::AuditEvent;

pub use args::usage;
pub use line::{CommandLine, parse};

/// Routes chat messages to plugins.
pub struct Dispatcher {
    cove: Arc<Cove>,
    next_id: AtomicU64,
    id_prefix: String,
    /// The message behind each pending confirmation code: a confirmed command runs with the
    /// channel and thread it was typed in, not those of the `!confirm`.
    awaiting: Mutex<HashMap<String, ChatMessage>>,
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
            awaiting: Mutex::new(HashMap::new()),
        }
    }

    /// The Cove this dispatcher serves.
    pub fn cove(&self) -> &Arc<Cove> {
        &self.cove
    }

    /// Handles one message; no replies when it does not address Cove.
    pub async fn handle(&self, msg: &ChatMessage) -> Vec<ChatReply> {
        let prefix = &self.cove.config.prefix;
        let Some(line) = line::parse(&msg.text, prefix, msg.prefix_optional) else {
            return Vec::new();
        };
        let subject = self.subject(msg);
        if line.plugin.is_none() && line.command == "confirm" {
            return self.confirm(&subject, line.raw).await;
        }
        let catalog = self.cove.registry.snapshot();
        let plugin = match self.route(&catalog, &line, &subject) {
            Route::Run(plugin) => plugin,
            Route::Reply(reply) => return vec![reply],
        };
        drop(catalog);
        self.run(&plugin, &line, msg, &subject, false).await
    }

    /// The caller as the access rules see them: roles from the adapter and the config.
    pub fn subject(&self, msg: &ChatMessage) -> Subject {
        let mut roles = msg.user.roles.clone();
        roles.extend(crate::policy::acl::roles_for(
            &self.cove.config.access.roles,
            &msg.user.id,
            &msg.user.name,
        ));
        Subject {
            user_id: msg.user.id.clone(),
            user_name: msg.user.name.clone(),
            roles,
            channel_id: msg.channel.id.clone(),
            channel_name: msg.channel.name.clone(),
        }
    }

    fn route(&self, catalog: &Catalog, line: &CommandLine<'_>, subject: &Subject) -> Route {
        let prefix = &self.cove.config.prefix;
        // `cove` is reserved as a command and as a plugin name: `!cove grant`, `!COVE grant`
        // and `!cove:grant` all reach the admin commands, and only them.
        if line.command == "cove" || line.plugin.as_deref() == Some("cove") {
            return Route::Reply(self.admin_command(catalog, line, subject));
        }
        if line.plugin.is_none() && line.command == "help" {
            return Route::Reply(self.help(catalog, line.raw, subject));
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

    fn help(&self, catalog: &Catalog, raw: &str, subject: &Subject) -> ChatReply {
        let prefix = &self.cove.config.prefix;
        let acl = self.cove.access.read().unwrap_or_else(|e| e.into_inner());
        let may_run = |plugin: &str, command: &str| acl.allows(subject, plugin, command);
        let topic = raw.split_whitespace().next().unwrap_or("");
        if topic.is_empty() {
            return ChatReply::ok(help::overview(catalog, prefix, &may_run));
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
            .filter(|p| may_run(p, command))
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
        subject: &Subject,
        confirmed: bool,
    ) -> Vec<ChatReply> {
        let prefix = &self.cove.config.prefix;
        let Some(spec) = plugin.command(&line.command) else {
            return vec![unknown_command(
                &self.cove.registry.snapshot(),
                &line.command,
                prefix,
            )];
        };
        // The explanation is built only for a refusal: `allows` costs no allocation.
        let refusal = {
            let access = self.cove.access.read().unwrap_or_else(|e| e.into_inner());
            (!access.allows(subject, plugin.name(), &line.command))
                .then(|| access.check(subject, plugin.name(), &line.command).reason)
        };
        if let Some(reason) = refusal {
            self.cove.metrics.denial("acl");
            let detail = format!("run {}: {reason}", line.command);
            self.audit_soon(subject, "deny", Some(plugin.name()), detail, None);
            return vec![ChatReply::error(format!("denied: {reason}"))];
        }
        let usage_line = || args::usage(prefix, spec);
        // An apostrophe in free text ("don't") is not a quote: commands ending in free text
        // get whitespace-split words instead of an error.
        let arguments = match line::split_args(line.raw) {
            Some(arguments) => arguments,
            None if args::ends_in_free_text(spec) => {
                line.raw.split_whitespace().map(String::from).collect()
            }
            None => {
                return vec![ChatReply::usage(format!(
                    "A quote is not closed.\nUsage: `{}`",
                    usage_line()
                ))];
            }
        };
        if let Err(problem) = args::check(spec, &arguments) {
            return vec![ChatReply::usage(format!(
                "{problem}.\nUsage: `{}`",
                usage_line()
            ))];
        }
        if spec.dangerous && !confirmed {
            return vec![self.ask_confirmation(plugin.name(), line, msg)];
        }
        let invocation = self.invocation(line, arguments, msg);
        let started = Instant::now();
        let (outcome, report) = self.invoke(plugin, &invocation).await;
        let outcome_word = match &outcome {
            Ok(Ok(_)) => "ok",
            Ok(Err(_)) => "error",
            Err(e) => {
                self.cove.metrics.sandbox_failure(e.kind());
                e.kind()
            }
        };
        self.cove.metrics.invocation(
            plugin.name(),
            &line.command,
            outcome_word,
            started.elapsed(),
        );
        let outcome_word = outcome_word.to_string();
        self.audit_soon(
            subject,
            "invoke",
            Some(plugin.name()),
            format!("{}{} {}", prefix, line.command, line.raw),
            Some((outcome_word, started)),
        );
        let mut replies = vec![self.render(plugin, &invocation, outcome, &report, &usage_line)];
        replies.extend(self.report_denials(subject, report.denials));
        replies
    }

    fn invocation(
        &self,
        line: &CommandLine<'_>,
        args: Vec<String>,
        msg: &ChatMessage,
    ) -> Invocation {
        Invocation {
            id: format!(
                "{}-{}",
                self.id_prefix,
                self.next_id.fetch_add(1, Ordering::Relaxed)
            ),
            command: line.command.clone(),
            args,
            raw: line.raw.to_string(),
            user: User {
                id: msg.user.id.clone(),
                name: msg.user.name.clone(),
                roles: msg.user.roles.clone(),
            },
            channel: Channel {
                id: msg.channel.id.clone(),
                name: msg.channel.name.clone(),
            },
            thread: msg.thread.clone(),
            platform: msg.platform.to_string(),
        }
    }

    fn render(
        &self,
        plugin: &LoadedPlugin,
        invocation: &Invocation,
        outcome: Result<Result<sandbox::Reply, CommandError>, SandboxError>,
        report: &CallReport,
        usage_line: &dyn Fn() -> String,
    ) -> ChatReply {
        let cap = self.cove.config.limits.reply_bytes as usize;
        let clean = |text: String| cap_reply(redact(&text, &report.held_secrets), cap);
        match outcome {
            Ok(Ok(reply)) => ChatReply {
                ephemeral: reply.ephemeral,
                ..ChatReply::ok(clean(reply.text))
            },
            Ok(Err(CommandError::Usage(why))) => {
                ChatReply::usage(clean(format!("{why}\nUsage: `{}`", usage_line())))
            }
            Ok(Err(CommandError::Failed(why))) => ChatReply::error(clean(format!("error: {why}"))),
            Ok(Err(CommandError::Denied(why))) => ChatReply::error(clean(format!("denied: {why}"))),
            Err(e) => {
                tracing::warn!(plugin = %plugin.name(), invocation = %invocation.id, kind = e.kind(), "{e}");
                ChatReply::error(format!("error: {e}."))
            }
        }
    }

    /// Each refusal of the permission gate as its own reply, and in the audit log.
    fn report_denials(&self, subject: &Subject, denials: Vec<Denial>) -> Vec<ChatReply> {
        denials
            .into_iter()
            .map(|denial| {
                self.cove
                    .audit_denial(&subject.user_id, Some(&subject.channel_id), &denial);
                ChatReply::error(denial.to_string())
            })
            .collect()
    }

    /// Runs one command in a fresh instance, waiting for a free in-flight slot.
    pub async fn invoke(
        &self,
        plugin: &LoadedPlugin,
        invocation: &Invocation,
    ) -> (
        Result<Result<sandbox::Reply, CommandError>, SandboxError>,
        CallReport,
    ) {
        self.cove
            .call_plugin(plugin, &invocation.id, |running| {
                running.handle_command(invocation)
            })
            .await
    }

    fn audit_soon(
        &self,
        subject: &Subject,
        action: &str,
        plugin: Option<&str>,
        detail: String,
        outcome: Option<(String, Instant)>,
    ) {
        let (outcome, duration_ms) = match outcome {
            Some((word, started)) => (word, Some(started.elapsed().as_millis() as u64)),
            None => ("denied".to_string(), None),
        };
        self.cove.audit.record_soon(AuditEvent {
            actor: subject.user_id.clone(),
            action: action.to_string(),
            plugin: plugin.map(str::to_string),
            channel: Some(subject.channel_id.clone()),
            detail,
            outcome,
            duration_ms,
        });
    }

    fn ask_confirmation(
        &self,
        plugin: &str,
        line: &CommandLine<'_>,
        msg: &ChatMessage,
    ) -> ChatReply {
        let command_line = format!("{} {}", line.command, line.raw)
            .trim_end()
            .to_string();
        let mut confirmations = self
            .cove
            .confirmations
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let mut draw = || random_code();
        let pending = confirmations.request(
            &msg.user.id,
            plugin,
            &command_line,
            crate::now_ms(),
            &mut draw,
        );
        let prompt = pending.prompt(&self.cove.config.prefix);
        let code = pending.code.clone();
        let mut awaiting = self.awaiting.lock().unwrap_or_else(|e| e.into_inner());
        // Keep only messages whose code is still pending: expired, replaced and dropped codes
        // (the confirmations are bounded) must not leave their messages behind.
        awaiting.retain(|code, m| {
            confirmations
                .pending_for(&m.user.id)
                .any(|p| &p.code == code)
        });
        awaiting.insert(code.clone(), msg.clone());
        ChatReply {
            confirm: Some(code),
            ..ChatReply::usage(prompt)
        }
    }

    /// Cancels the pending command `code` of `user_id` (a Cancel button); only its user may.
    pub fn cancel(&self, user_id: &str, code: &str) -> ChatReply {
        let cancelled = self
            .cove
            .confirmations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .cancel(user_id, code);
        match cancelled {
            Ok(pending) => {
                self.awaiting
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&pending.code);
                ChatReply::ok(format!("Cancelled `{}`.", pending.command_line))
            }
            Err(e) => ChatReply::error(e.to_string()),
        }
    }

    async fn confirm(&self, subject: &Subject, raw: &str) -> Vec<ChatReply> {
        let code = raw.trim();
        let confirmed = self
            .cove
            .confirmations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .confirm(&subject.user_id, code, crate::now_ms());
        let pending = match confirmed {
            Ok(pending) => pending,
            Err(e) => return vec![ChatReply::error(e.to_string())],
        };
        let Some(original) = self
            .awaiting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&pending.code)
        else {
            return vec![ChatReply::error(
                "That confirmation is no longer known; run the command again.",
            )];
        };
        let catalog = self.cove.registry.snapshot();
        let Some(plugin) = catalog.plugin(&pending.plugin).cloned() else {
            return vec![ChatReply::error(format!(
                "The {} plugin is no longer installed.",
                pending.plugin
            ))];
        };
        drop(catalog);
        let prefix = self.cove.config.prefix.clone();
        let Some(line) = line::parse(&original.text, &prefix, original.prefix_optional) else {
            return vec![ChatReply::error(
                "The confirmed command can no longer be read.",
            )];
        };
        // The rules may have changed since the command was asked for: check them again.
        let subject = self.subject(&original);
        self.run(&plugin, &line, &original, &subject, true).await
    }
}

/// A confirmation code from the operating system's randomness: codes must not be guessable
/// by another user who wants to run someone else's dangerous command.
fn random_code() -> u32 {
    use chacha20poly1305::aead::rand_core::RngCore;
    chacha20poly1305::aead::OsRng.next_u32()
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
