//! Buttons.
//!
//! | button (action id)  | who may use it         | what it does                                           |
//! |---------------------|------------------------|--------------------------------------------------------|
//! | Confirm (`cove_confirm`) | the invoker only  | runs the dangerous command, as `confirm <code>` would   |
//! | Cancel (`cove_cancel`)   | the invoker only  | withdraws it                                           |
//! | Grant (`cove_grant`)     | admins            | grants one requested permission (audited)              |
//! | Deny (`cove_deny`)       | admins            | leaves it ungranted and records the decision           |
//! | Approve (`cove_approve`) | admins            | approves a non-admin's upload                          |
//!
//! Confirm and Cancel go through the same confirmation state as typed codes, so "only the
//! invoker" is decided in one place. After an install or upgrade whose plugin asks for
//! permissions it does not have, the configured admin channel gets the list with buttons.

use std::sync::Arc;

use anyhow::Context;
use serde_json::{Value, json};
use slack_morphism::prelude::*;

use super::deliver::{CANCEL, CONFIRM, Origin};
use super::web::Outgoing;
use super::{Slack, format};
use crate::chat::ChatReply;
use crate::store::AuditEvent;

/// Grants one requested permission.
const GRANT: &str = "cove_grant";
/// Declines one requested permission.
const DENY: &str = "cove_deny";
/// Approves an upload by a non-admin.
const APPROVE: &str = "cove_approve";

/// Posts to the admin channel after every install that leaves something to decide.
pub fn watch_installs(slack: Arc<Slack>) {
    let cove = slack.dispatcher.cove().clone();
    let Some(channel) = cove.config.slack.admin_channel.clone() else {
        return;
    };
    let mut installs = cove.installs.subscribe();
    tokio::spawn(async move {
        loop {
            match installs.recv().await {
                Ok(plugin) => {
                    if let Err(e) = slack.ask_admins(&channel, &plugin).await {
                        tracing::warn!(%plugin, "cannot ask Slack admins to grant: {e:#}");
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}

fn button(action: &str, label: &str, value: &str, style: Option<&str>) -> Value {
    let mut b = json!({ "type": "button", "action_id": action, "value": value,
        "text": { "type": "plain_text", "text": label } });
    if let Some(style) = style {
        b["style"] = json!(style);
    }
    b
}

impl Slack {
    async fn ask_admins(&self, channel: &str, plugin: &str) -> anyhow::Result<()> {
        let cove = self.dispatcher.cove();
        let record = cove.store.plugin(plugin)?.context("the plugin is gone")?;
        let version = record.active_version();
        let requested = crate::manifest::requested_grants(&version.manifest).unwrap_or_default();
        let granted = cove.store.grants(plugin)?;
        let pending: Vec<&String> = requested.iter().filter(|r| !granted.contains(r)).collect();
        let approved = record.active_is_approved();
        if pending.is_empty() && approved {
            return Ok(());
        }
        // Markdown run through the mrkdwn converter: it escapes what the plugin chose
        // (name, version, requests), so a manifest cannot ping the admin channel.
        let mut text = format!(
            "**{plugin}** {} was installed by {} and asks for:",
            version.manifest.version, version.uploaded_by
        );
        let mut blocks = vec![];
        for grant in &pending {
            text.push_str(&format!("\n- `{grant}`"));
            let value = json!({ "plugin": plugin, "grant": grant }).to_string();
            blocks.push(json!({ "type": "section", "text": { "type": "mrkdwn", "text": format::mrkdwn(&format!("`{grant}`")) } }));
            blocks.push(json!({ "type": "actions", "elements": [
                button(GRANT, "Grant", &value, Some("primary")),
                button(DENY, "Deny", &value, Some("danger")),
            ]}));
        }
        if !approved {
            text.push_str(
                "\nThis upload is not from an admin: it runs without grants until approved.",
            );
            let value = json!({ "plugin": plugin }).to_string();
            blocks.push(json!({ "type": "actions", "elements": [button(APPROVE, "Approve", &value, Some("primary"))] }));
        }
        let text = format::mrkdwn(&text);
        blocks.insert(
            0,
            json!({ "type": "section", "text": { "type": "mrkdwn", "text": text } }),
        );
        let out = Outgoing {
            channel: self.identity.channel_id(&self.web, channel).await?,
            text,
            thread: None,
            blocks: Some(Value::Array(blocks)),
        };
        self.web.post_message(&out).await.map(drop)
    }

    /// One or more button clicks.
    pub(super) async fn on_actions(&self, event: SlackInteractionBlockActionsEvent) {
        let Some(user) = event.user.map(|u| u.id.0) else {
            return;
        };
        let container_channel = match &event.container {
            SlackInteractionActionContainer::Message(m) => {
                m.channel_id.as_ref().map(|c| c.0.clone())
            }
            _ => None,
        };
        let Some(channel) = event.channel.map(|c| c.id.0).or(container_channel) else {
            return;
        };
        let origin = Origin {
            channel,
            user,
            response_url: event.response_url.map(|u| u.0.to_string()),
            ..Origin::default()
        };
        for action in event.actions.unwrap_or_default() {
            let value = action.value.unwrap_or_default();
            let replies = match action.action_id.0.as_str() {
                CONFIRM => {
                    let msg = self
                        .message(&origin.user, &origin.channel, format!("confirm {value}"))
                        .await;
                    self.dispatcher.handle(&msg).await
                }
                CANCEL => vec![self.dispatcher.cancel(&origin.user, &value)],
                GRANT | DENY | APPROVE => {
                    let decided = self
                        .admin_action(&origin, action.action_id.0.as_str(), &value)
                        .await;
                    vec![match decided {
                        Ok(text) => ChatReply::ok(text),
                        Err(e) => ChatReply::error(format!("{e:#}")),
                    }]
                }
                other => {
                    tracing::debug!(action = other, "ignored a Slack action");
                    Vec::new()
                }
            };
            self.deliver(&origin, replies).await;
        }
    }

    /// Grant, Deny or Approve, by an admin only.
    async fn admin_action(
        &self,
        origin: &Origin,
        action: &str,
        value: &str,
    ) -> anyhow::Result<String> {
        let msg = self
            .message(&origin.user, &origin.channel, String::new())
            .await;
        let cove = self.dispatcher.cove();
        let subject = self.dispatcher.subject(&msg);
        if !cove
            .access
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_admin(&subject)
        {
            anyhow::bail!("Only Cove admins can decide on plugin permissions.");
        }
        let request: Value = serde_json::from_str(value).context("the button is malformed")?;
        let plugin = request["plugin"]
            .as_str()
            .context("the button names no plugin")?;
        let grant = request["grant"].as_str().unwrap_or_default();
        let actor = &origin.user;
        match action {
            GRANT => {
                let words = shlex::split(grant).context("the button's grant is unreadable")?;
                let done = cove.grant(actor, plugin, &words)?;
                Ok(format!("{} (by {})", done, subject.user_name))
            }
            APPROVE => {
                cove.approve(actor, plugin)?;
                Ok(format!("Approved {plugin} (by {}).", subject.user_name))
            }
            _ => {
                cove.audit.record(AuditEvent {
                    actor: actor.clone(),
                    action: "deny-request".into(),
                    plugin: Some(plugin.to_string()),
                    detail: grant.to_string(),
                    outcome: "ok".into(),
                    ..AuditEvent::default()
                })?;
                Ok(format!(
                    "Denied {plugin}: `{grant}` stays ungranted (by {}).",
                    subject.user_name
                ))
            }
        }
    }
}
