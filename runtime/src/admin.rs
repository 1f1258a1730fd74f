//! Admin operations, shared by the CLI and the `!cove …` chat commands. Each one is checked,
//! applied, made durable and audited before it reports success; the text it returns is what
//! the admin sees.

use anyhow::{Context, bail};

use crate::app::Cove;
use crate::permissions::parse_stored;
use crate::policy::Grant;
use crate::store::AuditEvent;

/// Secret names: what `cove secret set` accepts (the grant language accepts the same).
fn check_secret_name(name: &str) -> anyhow::Result<()> {
    let mut chars = name.chars();
    let ok = matches!(chars.next(), Some('A'..='Z'))
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        bail!("secret names are 1-64 of A-Z, 0-9 and _, starting with a letter (got {name:?})");
    }
    Ok(())
}

impl Cove {
    fn audit_now(
        &self,
        actor: &str,
        action: &str,
        plugin: Option<&str>,
        detail: String,
    ) -> anyhow::Result<()> {
        self.audit.record(AuditEvent {
            actor: actor.to_string(),
            action: action.to_string(),
            plugin: plugin.map(str::to_string),
            detail,
            outcome: "ok".into(),
            ..AuditEvent::default()
        })
    }

    /// `cove grant <plugin> <words…>`.
    pub fn grant(&self, actor: &str, plugin: &str, words: &[String]) -> anyhow::Result<String> {
        if self.store.plugin(plugin)?.is_none() {
            bail!("no plugin named {plugin:?} is installed");
        }
        let grant = Grant::parse(words)?;
        if let Grant::Schedule(cron) = &grant {
            crate::events::schedule::parse(cron)?;
        }
        if !self.permissions.grant(plugin, &grant)? {
            return Ok(format!("{plugin} already has `{grant}`."));
        }
        let secret = crate::events::hooks::on_grant_change(self, plugin, &grant, true)?;
        self.audit_now(actor, "grant", Some(plugin), grant.to_string())?;
        let done = format!("Granted {plugin}: `{grant}`. It takes effect on the next call.");
        Ok(match (&grant, secret) {
            (Grant::Webhook(hook), Some(secret)) => format!(
                "{done}\n{}",
                crate::events::hooks::secret_notice(plugin, hook, &secret)
            ),
            _ => done,
        })
    }

    /// `cove revoke <plugin> <words…>`.
    pub fn revoke(&self, actor: &str, plugin: &str, words: &[String]) -> anyhow::Result<String> {
        let grant = Grant::parse(words)?;
        if !self.permissions.revoke(plugin, &grant)? {
            bail!("{plugin} does not have `{grant}`; `cove grants {plugin}` lists what it has");
        }
        crate::events::hooks::on_grant_change(self, plugin, &grant, false)?;
        self.audit_now(actor, "revoke", Some(plugin), grant.to_string())?;
        Ok(format!(
            "Revoked from {plugin}: `{grant}`. It takes effect on the next call."
        ))
    }

    /// `cove grants [<plugin>]`: requested and granted side by side.
    pub fn describe_grants(&self, plugin: Option<&str>) -> anyhow::Result<String> {
        let records = match plugin {
            Some(name) => vec![
                self.store
                    .plugin(name)?
                    .with_context(|| format!("no plugin named {name:?} is installed"))?,
            ],
            None => self.store.plugins()?,
        };
        let mut out = Vec::new();
        for record in records {
            let granted = self.store.grants(&record.name)?;
            let requested = crate::manifest::requested_grants(&record.active_version().manifest)
                .unwrap_or_default();
            out.push(crate::manifest::render_permissions(
                &record.name,
                &requested,
                &granted,
            ));
        }
        Ok(out.join("\n\n"))
    }

    /// `cove secret set NAME` (value from stdin or an environment variable, never argv).
    pub fn set_secret(&self, actor: &str, name: &str, value: &[u8]) -> anyhow::Result<String> {
        check_secret_name(name)?;
        let value = trim_newline(value);
        if value.is_empty() {
            bail!("the value for {name} is empty");
        }
        self.permissions.set_secret(name, value)?;
        self.audit_now(actor, "secret.set", None, name.to_string())?;
        Ok(format!(
            "Secret {name} set ({} bytes, encrypted at rest).",
            value.len()
        ))
    }

    /// `cove secret remove NAME`.
    pub fn remove_secret(&self, actor: &str, name: &str) -> anyhow::Result<String> {
        if !self.store.remove_secret(name)? {
            bail!("no secret named {name} is set");
        }
        self.audit_now(actor, "secret.remove", None, name.to_string())?;
        Ok(format!("Secret {name} removed."))
    }

    /// `cove secret list`: names and the plugins holding each, never values.
    pub fn list_secrets(&self) -> anyhow::Result<String> {
        let names = self.store.secret_names()?;
        if names.is_empty() {
            return Ok(
                "No secrets are set. Set one with `cove secret set NAME` (value on stdin).".into(),
            );
        }
        let holders = self.store.all_grants()?;
        let lines: Vec<String> = names
            .iter()
            .map(|name| {
                let mut plugins: Vec<String> = holders
                    .iter()
                    .filter(|(_, grants)| {
                        grants.iter().filter_map(|g| parse_stored(g).ok()).any(|g| {
                            matches!(g, Grant::Secret { name: n } | Grant::Inject { name: n, .. } if &n == name)
                        })
                    })
                    .map(|(plugin, _)| plugin.clone())
                    .collect();
                plugins.dedup();
                let held = if plugins.is_empty() { "no plugin".into() } else { plugins.join(", ") };
                format!("{name:<24} held by {held}")
            })
            .collect();
        Ok(lines.join("\n"))
    }
}

impl Cove {
    /// The access list as stored (rules, added admins, default), without the configured
    /// admins: what `cove acl` and `cove admin` edit.
    pub fn stored_acl(&self) -> anyhow::Result<crate::policy::acl::Acl> {
        Ok(self
            .store
            .acl()?
            .unwrap_or_else(|| crate::policy::acl::Acl {
                default: self.config.access.default,
                ..Default::default()
            }))
    }

    /// Saves the stored access list and puts it (with the configured admins) in force.
    pub fn save_acl(
        &self,
        actor: &str,
        stored: &crate::policy::acl::Acl,
        detail: String,
    ) -> anyhow::Result<()> {
        self.store.set_acl(stored)?;
        *self.access.write().unwrap_or_else(|e| e.into_inner()) =
            crate::app::effective_acl(&self.config, Some(stored.clone()));
        self.audit_now(actor, "acl", None, detail)
    }

    /// The newest `n` audit records, one line each.
    pub fn audit_lines(&self, n: usize) -> anyhow::Result<String> {
        let records = self.store.audit_records(|_| true, n.clamp(1, 1000))?;
        if records.is_empty() {
            return Ok("The audit log is empty.".into());
        }
        Ok(records
            .iter()
            .map(crate::store::AuditRecord::one_line)
            .collect::<Vec<_>>()
            .join("\n"))
    }
}

/// A value piped from `echo` ends in a newline that is not part of the secret.
fn trim_newline(value: &[u8]) -> &[u8] {
    let value = value.strip_suffix(b"\n").unwrap_or(value);
    value.strip_suffix(b"\r").unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for ok in ["A", "GITHUB_TOKEN", "K8S_TOKEN_2"] {
            assert!(check_secret_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "token", "1A", "A-B", "A B"] {
            assert!(check_secret_name(bad).is_err(), "{bad}");
        }
        assert_eq!(trim_newline(b"abc\r\n"), b"abc");
        assert_eq!(trim_newline(b"abc"), b"abc");
    }
}
