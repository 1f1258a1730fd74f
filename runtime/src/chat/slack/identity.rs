//! Who and where, in Cove's terms: Slack user ids become [`ChatUser`]s with a display name
//! (`users.info`) and roles (the handles of the Slack user groups they belong to, added to
//! the roles `[access.roles]` gives), channel ids get their names (`conversations.info`),
//! and channel names used by plugins' posts are resolved to ids (`conversations.list`).
//!
//! Answers are cached for [`TTL_MS`]: a command must not cost three Web API calls, and a
//! rename or a group change shows up within minutes. A failed lookup falls back to the id,
//! so access rules naming the id still apply when Slack is slow.

use std::collections::HashMap;
use std::sync::Mutex;

use super::web::Web;
use crate::chat::{ChatChannel, ChatUser};

/// How long a looked-up name or group list is trusted, in milliseconds.
pub const TTL_MS: u64 = 5 * 60 * 1000;

/// A cached answer and when it was fetched (ms).
type Cached<T> = Mutex<Option<(u64, T)>>;

/// User groups: `(handle, member ids)`.
type Groups = Vec<(String, Vec<String>)>;

/// Cached names and groups.
#[derive(Default)]
pub struct Identity {
    users: Mutex<HashMap<String, (u64, String)>>,
    channels: Mutex<HashMap<String, (u64, String)>>,
    groups: Cached<Groups>,
    channel_ids: Cached<Vec<(String, String)>>,
}

fn fresh<T: Clone>(entry: Option<&(u64, T)>) -> Option<T> {
    entry
        .filter(|(at, _)| crate::now_ms().saturating_sub(*at) < TTL_MS)
        .map(|(_, v)| v.clone())
}

/// A name from `names` when fresh, else from `lookup` (then cached), else `id` itself.
async fn name_of<F>(names: &Mutex<HashMap<String, (u64, String)>>, id: &str, lookup: F) -> String
where
    F: std::future::Future<Output = anyhow::Result<String>>,
{
    if let Some(name) = fresh(names.lock().unwrap_or_else(|e| e.into_inner()).get(id)) {
        return name;
    }
    match lookup.await {
        Ok(name) => {
            names
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(id.to_string(), (crate::now_ms(), name.clone()));
            name
        }
        Err(e) => {
            tracing::warn!(id, "cannot look up a Slack name: {e:#}");
            id.to_string()
        }
    }
}

impl Identity {
    /// The user `id` with name and group roles.
    pub async fn user(&self, web: &Web, id: &str) -> ChatUser {
        let name = name_of(&self.users, id, web.user_name(id)).await;
        let roles = self.group_roles(web, id).await;
        ChatUser {
            id: id.to_string(),
            name,
            roles,
        }
    }

    /// The handles of the user groups `id` belongs to.
    async fn group_roles(&self, web: &Web, id: &str) -> Vec<String> {
        let cached = fresh(
            self.groups
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref(),
        );
        let groups = match cached {
            Some(groups) => groups,
            None => match web.user_groups().await {
                Ok(groups) => {
                    *self.groups.lock().unwrap_or_else(|e| e.into_inner()) =
                        Some((crate::now_ms(), groups.clone()));
                    groups
                }
                Err(e) => {
                    tracing::warn!("cannot list Slack user groups: {e:#}");
                    Vec::new()
                }
            },
        };
        groups
            .into_iter()
            .filter(|(_, users)| users.iter().any(|u| u == id))
            .map(|(handle, _)| handle)
            .collect()
    }

    /// The channel `id` with its name (the id itself for direct messages or on failure).
    pub async fn channel(&self, web: &Web, id: &str) -> ChatChannel {
        let name = if id.starts_with('D') {
            id.to_string()
        } else {
            name_of(&self.channels, id, web.channel_name(id)).await
        };
        ChatChannel {
            id: id.to_string(),
            name,
        }
    }

    /// The id of channel `name_or_id` (`ops`, `#ops` or `C123`): ids pass through.
    pub async fn channel_id(&self, web: &Web, name_or_id: &str) -> anyhow::Result<String> {
        let name = name_or_id.trim_start_matches('#');
        if looks_like_id(name) {
            return Ok(name.to_string());
        }
        let cached = fresh(
            self.channel_ids
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref(),
        );
        let channels = match cached.filter(|list| list.iter().any(|(_, n)| n == name)) {
            Some(list) => list,
            None => {
                let list = web.channels().await?;
                *self.channel_ids.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some((crate::now_ms(), list.clone()));
                list
            }
        };
        channels
            .into_iter()
            .find(|(_, n)| n == name)
            .map(|(id, _)| id)
            .ok_or_else(|| anyhow::anyhow!("no Slack channel named #{name} is visible to Cove"))
    }
}

/// Slack conversation ids: `C…`, `G…` or `D…` followed by upper-case letters and digits.
pub fn looks_like_id(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(chars.next(), Some('C' | 'G' | 'D'))
        && text.len() >= 9
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::looks_like_id;

    #[test]
    fn channel_ids_are_told_from_names() {
        for (text, is_id) in [
            ("C0123ABCD", true),
            ("G01234567", true),
            ("D0AB12CD3", true),
            ("ops", false),
            ("Cats", false),
            ("C12", false),
            ("CHANNELXY", true),
            ("c0123abcd", false),
        ] {
            assert_eq!(looks_like_id(text), is_id, "{text}");
        }
    }
}
