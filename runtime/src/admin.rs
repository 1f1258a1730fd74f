//! Admin operations, shared by the CLI and the `!cove …` chat commands. Each one is checked,
//! applied, made durable and audited before it reports success; the text it returns is what
//! the admin sees.

use anyhow::bail;

use crate::admin_api::model::{AdminList, PluginDetail, PluginSummary, SecretInfo};
use crate::app::Cove;
use crate::permissions::parse_stored;
use crate::policy::Grant;
use crate::policy::acl::{Acl, Effect, Rule};
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
        let plugins = match plugin {
            Some(name) => vec![self.plugin_detail(name)?.summary],
            None => self.plugin_summaries()?,
        };
        Ok(render_grants(&plugins))
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

    /// Secret names and the plugins holding each (read or inject), never values.
    pub fn secret_infos(&self) -> anyhow::Result<Vec<SecretInfo>> {
        let holders = self.store.all_grants()?;
        Ok(self
            .store
            .secret_names()?
            .into_iter()
            // Webhook secrets (`webhook:<plugin>/<hook>`) belong to their grant, not to this list.
            .filter(|name| !name.contains(':'))
            .map(|name| {
                let mut plugins: Vec<String> = holders
                    .iter()
                    .filter(|(_, grants)| {
                        grants.iter().filter_map(|g| parse_stored(g).ok()).any(|g| {
                            matches!(g, Grant::Secret { name: n } | Grant::Inject { name: n, .. } if n == name)
                        })
                    })
                    .map(|(plugin, _)| plugin.clone())
                    .collect();
                plugins.dedup();
                SecretInfo { name, holders: plugins }
            })
            .collect())
    }

    /// Every installed plugin with its requested and granted permissions.
    pub fn plugin_summaries(&self) -> anyhow::Result<Vec<PluginSummary>> {
        self.store
            .plugins()?
            .iter()
            .map(|record| PluginSummary::of(self, record))
            .collect()
    }

    /// Everything about the plugin `name`, or an error saying it is not installed.
    pub fn plugin_detail(&self, name: &str) -> anyhow::Result<PluginDetail> {
        let record = self
            .store
            .plugin(name)?
            .ok_or_else(|| NotInstalled(name.to_string()))?;
        PluginDetail::of(self, &record)
    }
}

/// No plugin by that name is installed (the API answers 404).
#[derive(Debug, thiserror::Error)]
#[error("no plugin named {0:?} is installed")]
pub struct NotInstalled(pub String);

/// Requested and granted permissions of each plugin, side by side.
pub fn render_grants(plugins: &[PluginSummary]) -> String {
    plugins
        .iter()
        .map(|p| crate::manifest::render_permissions(&p.name, &p.requested, &p.granted))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// `cove secret list`: names and the plugins holding each, never values.
pub fn render_secrets(secrets: &[SecretInfo]) -> String {
    if secrets.is_empty() {
        return "No secrets are set. Set one with `cove secret set NAME` (value on stdin).".into();
    }
    secrets
        .iter()
        .map(|s| {
            let held = if s.holders.is_empty() {
                "no plugin".to_string()
            } else {
                s.holders.join(", ")
            };
            format!("{:<24} held by {held}", s.name)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

impl Cove {
    /// The access list as stored (rules, added admins, default), without the configured
    /// admins: what `cove acl` and `cove admin` edit.
    pub fn stored_acl(&self) -> anyhow::Result<Acl> {
        Ok(self.store.acl()?.unwrap_or_else(|| Acl {
            default: self.config.access.default,
            ..Default::default()
        }))
    }

    /// Saves the stored access list and puts it (with the configured admins) in force.
    pub fn save_acl(&self, actor: &str, stored: &Acl, detail: String) -> anyhow::Result<()> {
        self.store.set_acl(stored)?;
        *self.access.write().unwrap_or_else(|e| e.into_inner()) =
            crate::app::effective_acl(&self.config, Some(stored.clone()));
        self.audit_now(actor, "acl", None, detail)
    }

    /// `cove acl allow|deny <scope> <who>`: adds a rule (no change when it exists).
    pub fn add_rule(&self, actor: &str, rule: Rule) -> anyhow::Result<String> {
        let mut stored = self.stored_acl()?;
        if !stored.add_rule(rule.clone()) {
            return Ok(format!("`{rule}` is already a rule."));
        }
        self.save_acl(actor, &stored, format!("acl {rule}"))?;
        Ok(format!("Added `{rule}`."))
    }

    /// `cove acl remove <effect> <scope> <who>`.
    pub fn remove_rule(&self, actor: &str, rule: &Rule) -> anyhow::Result<String> {
        let mut stored = self.stored_acl()?;
        if !stored.remove_rule(rule) {
            bail!("there is no rule `{rule}`; `cove acl list` shows the rules");
        }
        self.save_acl(actor, &stored, format!("acl remove {rule}"))?;
        Ok(format!("Removed `{rule}`."))
    }

    /// `cove acl default allow|deny`: what happens to commands no rule covers.
    pub fn set_acl_default(&self, actor: &str, effect: Effect) -> anyhow::Result<String> {
        let mut stored = self.stored_acl()?;
        stored.default = effect;
        self.save_acl(actor, &stored, format!("acl default {effect}"))?;
        Ok(format!("Commands no rule covers are now {effect}ed."))
    }

    /// `cove admin add <user>`.
    pub fn add_admin(&self, actor: &str, user: &str) -> anyhow::Result<String> {
        let user = user.trim();
        if user.is_empty() || user.len() > 200 || user.chars().any(char::is_whitespace) {
            bail!("an admin is one user id or name without spaces (got {user:?})");
        }
        let mut stored = self.stored_acl()?;
        if !stored.admins.insert(user.to_string()) {
            return Ok(format!("{user} is already an admin."));
        }
        self.save_acl(actor, &stored, format!("admin add {user}"))?;
        Ok(format!("{user} is now an admin."))
    }

    /// `cove admin remove <user>`: only admins added this way; configured ones stay.
    pub fn remove_admin(&self, actor: &str, user: &str) -> anyhow::Result<String> {
        let mut stored = self.stored_acl()?;
        if !stored.admins.remove(user) {
            bail!(
                "{user} was not added with `cove admin add` (admins from the configuration stay)"
            );
        }
        self.save_acl(actor, &stored, format!("admin remove {user}"))?;
        Ok(format!("{user} is no longer an admin."))
    }

    /// Every admin in force, and which of them come from the configuration.
    pub fn admin_list(&self) -> AdminList {
        AdminList {
            admins: self.effective_access().admins.into_iter().collect(),
            configured: self.config.access.admins.to_vec(),
        }
    }

    /// The uploader record of a chat user: an admin's upload is approved at once.
    pub fn uploader(&self, id: &str) -> crate::install::Uploader {
        let subject = crate::policy::acl::Subject {
            user_id: id.to_string(),
            user_name: id.to_string(),
            ..Default::default()
        };
        crate::install::Uploader {
            id: id.to_string(),
            admin: self.effective_access().is_admin(&subject),
        }
    }

    /// The access list in force (stored rules plus configured admins).
    pub fn effective_access(&self) -> Acl {
        self.access
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
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

/// `cove acl list`: the default, the rules and the admins, one per line.
pub fn render_acl(acl: &Acl) -> String {
    let mut lines = vec![format!("default: {}", acl.default)];
    lines.extend(acl.rules.iter().map(|r| format!("{r}")));
    lines.push(format!("admins: {}", render_admins(acl, ", ")));
    lines.join("\n")
}

/// The admins joined by `separator`, or a hint when there are none.
pub fn render_admins(acl: &Acl, separator: &str) -> String {
    if acl.admins.is_empty() {
        return "none (add one with `cove admin add <user>` or `access.admins` in cove.toml)"
            .into();
    }
    acl.admins
        .iter()
        .cloned()
        .collect::<Vec<_>>()
        .join(separator)
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
