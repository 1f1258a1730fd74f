//! The capability gate: what each plugin was granted, checked at the moment of use.
//!
//! Grants live in the store as canonical strings; this gate keeps each plugin's parsed
//! [`GrantSet`] in memory and drops it whenever a grant changes, so the next request or
//! secret read sees the new set without a restart. Only this process writes the store (sled
//! admits one), so the in-memory copy cannot go stale behind its back.
//!
//! Every refusal becomes a [`Denial`]: one sentence for the user naming the plugin, what it
//! tried and the admin command that would allow it; the caller audits it.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use anyhow::Context;

use crate::policy::{Grant, GrantSet};
use crate::store::{MasterKey, Store};

/// A refused attempt, explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// What kind of gate refused: `egress`, `secret`, `unapproved`, `limit`.
    pub kind: &'static str,
    /// The plugin that tried.
    pub plugin: String,
    /// What it tried, e.g. `reach https://example.com`.
    pub attempted: String,
    /// Why it was refused.
    pub reason: String,
    /// The admin command that would allow it, if a grant would.
    pub fix: Option<String>,
}

impl Denial {
    /// The refusal for a version no admin approved yet (grants do not apply to it).
    pub fn unapproved(plugin: &str, attempted: String) -> Denial {
        Denial {
            kind: "unapproved",
            plugin: plugin.to_string(),
            attempted,
            reason:
                "this version was uploaded by a non-admin and runs without grants until approved"
                    .into(),
            fix: Some(format!("cove plugin approve {plugin}")),
        }
    }

    /// The refusal of an attempt beyond one of the sandbox's fixed limits.
    pub fn limit(plugin: &str, attempted: String, reason: String) -> Denial {
        Denial {
            kind: "limit",
            plugin: plugin.to_string(),
            attempted,
            reason,
            fix: None,
        }
    }
}

impl std::fmt::Display for Denial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Cove blocked the {} plugin from trying to {}: {}.",
            self.plugin, self.attempted, self.reason
        )?;
        if let Some(fix) = &self.fix {
            write!(f, " An admin can allow it with `{fix}`.")?;
        }
        Ok(())
    }
}

/// Grants and secrets of every plugin.
pub struct Permissions {
    store: Store,
    key: MasterKey,
    cache: RwLock<HashMap<String, Arc<GrantSet>>>,
}

impl Permissions {
    /// A gate over the grants and secrets in `store`, sealed with `key`.
    pub fn new(store: Store, key: MasterKey) -> Self {
        Permissions {
            store,
            key,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// The grants of `plugin` in force now.
    pub fn grants(&self, plugin: &str) -> Arc<GrantSet> {
        if let Some(set) = self
            .cache
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(plugin)
        {
            return set.clone();
        }
        let set = Arc::new(self.load(plugin));
        self.cache
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(plugin.to_string(), set.clone());
        set
    }

    fn load(&self, plugin: &str) -> GrantSet {
        let stored = self.store.grants(plugin).unwrap_or_else(|e| {
            tracing::error!(%plugin, "cannot read grants, denying everything: {e:#}");
            Vec::new()
        });
        stored
            .iter()
            .filter_map(|text| match parse_stored(text) {
                Ok(grant) => Some(grant),
                Err(e) => {
                    tracing::error!(%plugin, grant = %text, "ignoring an unreadable grant: {e:#}");
                    None
                }
            })
            .collect()
    }

    /// Records a grant; false when it was already in force.
    pub fn grant(&self, plugin: &str, grant: &Grant) -> anyhow::Result<bool> {
        let added = self.store.add_grant(plugin, &grant.to_string())?;
        self.forget(plugin);
        Ok(added)
    }

    /// Withdraws a grant; false when it was not in force. Takes effect on the next use.
    pub fn revoke(&self, plugin: &str, grant: &Grant) -> anyhow::Result<bool> {
        let removed = self.store.remove_grant(plugin, &grant.to_string())?;
        self.forget(plugin);
        Ok(removed)
    }

    fn forget(&self, plugin: &str) {
        self.cache
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(plugin);
    }

    /// `host.secret(name)` for `plugin`: the value when a plain `secret` grant allows it.
    pub fn read_secret(&self, plugin: &str, name: &str) -> Result<String, Denial> {
        let deny = |reason: &str, fix: Option<String>| Denial {
            kind: "secret",
            plugin: plugin.to_string(),
            attempted: format!("read the secret {name}"),
            reason: reason.to_string(),
            fix,
        };
        if !self.grants(plugin).secret_readable(name) {
            return Err(deny(
                "it was not granted that secret",
                Some(format!("cove grant {plugin} secret {name}")),
            ));
        }
        match self.secret_value(name) {
            Ok(Some(value)) => Ok(value),
            Ok(None) => Err(deny(
                "no secret by that name is set",
                Some(format!("cove secret set {name}")),
            )),
            Err(e) => {
                tracing::error!(%plugin, secret = %name, "cannot read secret: {e:#}");
                Err(deny("the secret store failed", None))
            }
        }
    }

    /// `host.post(channel, …)` for `plugin`: allowed when a `post` grant names the channel.
    pub fn check_post(&self, plugin: &str, channel: &str) -> Result<(), Denial> {
        if self.grants(plugin).posts_to(channel) {
            return Ok(());
        }
        let channel = channel.strip_prefix('#').unwrap_or(channel);
        Err(Denial {
            kind: "post",
            plugin: plugin.to_string(),
            attempted: format!("post to #{channel}"),
            reason: "it was not granted that channel".to_string(),
            fix: Some(format!("cove grant {plugin} post {channel}")),
        })
    }

    /// The plaintext of a secret, for injection; never logged.
    pub fn secret_value(&self, name: &str) -> anyhow::Result<Option<String>> {
        let Some(bytes) = self.store.secret(&self.key, name)? else {
            return Ok(None);
        };
        String::from_utf8(bytes)
            .map(Some)
            .with_context(|| format!("secret {name} is not UTF-8"))
    }

    /// Name and value of every secret `plugin` holds (read or inject), for redaction.
    pub fn held_secrets(&self, plugin: &str) -> Vec<(String, String)> {
        let grants = self.grants(plugin);
        let mut names: Vec<&str> = grants
            .grants()
            .iter()
            .filter_map(|g| match g {
                Grant::Secret { name } | Grant::Inject { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        names.sort_unstable();
        names.dedup();
        names
            .into_iter()
            .filter_map(|name| Some((name.to_string(), self.secret_value(name).ok().flatten()?)))
            .filter(|(_, value)| !value.is_empty())
            .collect()
    }

    /// Stores a secret value (sealed); durable when this returns.
    pub fn set_secret(&self, name: &str, value: &[u8]) -> anyhow::Result<()> {
        self.store.set_secret(&self.key, name, value)
    }
}

/// Reads a grant as stored: its canonical, shell-quoted form.
pub fn parse_stored(text: &str) -> anyhow::Result<Grant> {
    let words = shlex::split(text).context("unbalanced quotes")?;
    Ok(Grant::parse(&words)?)
}

/// Replaces every held secret value in `text` with `[redacted:NAME]`.
pub fn redact(text: &str, secrets: &[(String, String)]) -> String {
    let mut out = text.to_string();
    for (name, value) in secrets {
        if out.contains(value.as_str()) {
            out = out.replace(value.as_str(), &format!("[redacted:{name}]"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_replaces_every_occurrence() {
        let secrets = vec![("TOKEN".to_string(), "s3cr3t".to_string())];
        assert_eq!(
            redact("a s3cr3t b s3cr3t", &secrets),
            "a [redacted:TOKEN] b [redacted:TOKEN]"
        );
        assert_eq!(redact("nothing here", &secrets), "nothing here");
    }

    #[test]
    fn grants_take_effect_and_lapse_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let key = MasterKey::load(dir.path(), None).unwrap();
        let gate = Permissions::new(store, key);
        gate.set_secret("TOKEN", b"value-1").unwrap();
        let denied = gate.read_secret("p", "TOKEN").unwrap_err();
        assert_eq!(denied.fix.as_deref(), Some("cove grant p secret TOKEN"));
        let grant = Grant::parse(&["secret", "TOKEN"]).unwrap();
        assert!(gate.grant("p", &grant).unwrap());
        assert_eq!(gate.read_secret("p", "TOKEN").unwrap(), "value-1");
        assert_eq!(
            gate.held_secrets("p"),
            vec![("TOKEN".to_string(), "value-1".to_string())]
        );
        assert!(gate.revoke("p", &grant).unwrap());
        assert!(gate.read_secret("p", "TOKEN").is_err());
        let inject = Grant::parse(&["secret", "TOKEN", "--inject", "api.example.com"]).unwrap();
        gate.grant("p", &inject).unwrap();
        assert!(
            gate.read_secret("p", "TOKEN").is_err(),
            "inject-only grants never hand out the value"
        );
    }
}
