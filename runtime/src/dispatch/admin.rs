//! `!cove …`: Cove's own commands in chat. Everything but `!cove version` is for admins,
//! however it is spelled (`!cove`, `!COVE`, `!cove:grant`): routing sends every spelling here
//! and the check below runs before anything else.

use super::{Dispatcher, line};
use crate::chat::ChatReply;
use crate::policy::acl::Subject;
use crate::registry::Catalog;

/// Audit records `!cove audit` shows by default.
const AUDIT_LINES: usize = 20;

impl Dispatcher {
    pub(super) fn admin_command(
        &self,
        catalog: &Catalog,
        line: &line::CommandLine<'_>,
        subject: &Subject,
    ) -> ChatReply {
        // `!cove:grant x …` is `!cove grant x …`.
        let raw = match (&line.plugin, line.command.as_str()) {
            (Some(_), command) => format!("{command} {}", line.raw),
            (None, _) => line.raw.to_string(),
        };
        let Some(words) = shlex::split(&raw) else {
            return ChatReply::usage("A quote is not closed.");
        };
        let (verb, rest) = words
            .split_first()
            .map(|(v, r)| (v.as_str(), r))
            .unwrap_or(("version", &[]));
        if verb == "version" {
            return ChatReply::ok(format!(
                "Cove {} — {} plugins loaded.",
                env!("CARGO_PKG_VERSION"),
                catalog.plugins().count()
            ));
        }
        let is_admin = self
            .cove
            .access
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_admin(subject);
        if !is_admin {
            self.cove.metrics.denial("admin");
            let detail = format!("cove {verb}");
            self.audit_soon(
                subject,
                "deny",
                None,
                format!("{detail}: not an admin"),
                None,
            );
            return ChatReply::error(format!("denied: `!cove {verb}` is for Cove admins only."));
        }
        let actor = subject.user_id.as_str();
        // A webhook grant's answer holds the hook's secret: only the admin may see it.
        let private = verb == "grant"
            && rest.get(1..).is_some_and(|words| {
                matches!(
                    crate::policy::Grant::parse(words),
                    Ok(crate::policy::Grant::Webhook(_))
                )
            });
        let result = match (verb, rest) {
            ("plugins", []) => Ok(plugin_list(catalog)),
            ("grant", [plugin, grant @ ..]) if !grant.is_empty() => {
                self.cove.grant(actor, plugin, grant)
            }
            ("revoke", [plugin, grant @ ..]) if !grant.is_empty() => {
                self.cove.revoke(actor, plugin, grant)
            }
            ("grants", [plugin]) => self.cove.describe_grants(Some(plugin)),
            ("grants", []) => self.cove.describe_grants(None),
            ("audit", []) => self.cove.audit_lines(AUDIT_LINES),
            ("audit", [n]) => match n.parse() {
                Ok(n) => self.cove.audit_lines(n),
                Err(_) => Err(anyhow::anyhow!("`!cove audit` takes a number of records")),
            },
            _ => {
                return ChatReply::usage(
                    "Usage: `!cove plugins`, `!cove grants [plugin]`, `!cove grant <plugin> <grant…>`, \
                     `!cove revoke <plugin> <grant…>`, `!cove audit [n]`, `!cove version`.",
                );
            }
        };
        match result {
            Ok(text) => ChatReply {
                ephemeral: private,
                ..ChatReply::ok(text)
            },
            Err(e) => ChatReply::error(format!("error: {e:#}")),
        }
    }
}

fn plugin_list(catalog: &Catalog) -> String {
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
    if lines.is_empty() {
        "No plugins installed.".into()
    } else {
        lines.join("\n")
    }
}
