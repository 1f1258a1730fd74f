//! A `.wasm` file shared with Cove in a direct message is installed through the same path as
//! `cove plugin install` ([`Cove::install`](crate::app::Cove::install)), as the uploading
//! user: a non-admin's upload runs without grants until an admin approves it. The reply
//! lists the plugin's commands and its requested permissions, or says why it was refused.

use anyhow::{Context, bail};
use slack_morphism::prelude::SlackFile;

use super::Slack;
use super::deliver::Origin;
use crate::chat::ChatReply;
use crate::install::{Installed, Uploader};

impl Slack {
    /// Installs each shared file, one reply per file.
    pub(super) async fn install_files(&self, origin: &Origin, files: &[SlackFile]) {
        for file in files {
            let reply = match self.install_file(origin, &file.id.0).await {
                Ok(text) => ChatReply::ok(text),
                Err(e) => {
                    let name = file.name.as_deref().unwrap_or("the file");
                    ChatReply::error(format!("Cannot install {name}: {e:#}"))
                }
            };
            self.deliver(origin, vec![reply]).await;
        }
    }

    async fn install_file(&self, origin: &Origin, file_id: &str) -> anyhow::Result<String> {
        let cove = self.dispatcher.cove();
        let info = self.web.file_info(file_id).await?;
        if !info.name.to_ascii_lowercase().ends_with(".wasm") {
            bail!("only `.wasm` plugin components can be installed by sharing them");
        }
        let limit = cove.config.limits.max_plugin_bytes;
        if info.size > limit {
            bail!(
                "the file is {} bytes, over the {limit}-byte plugin size limit",
                info.size
            );
        }
        let bytes = self.web.download(&info.url, limit).await?;
        let msg = self
            .message(&origin.user, &origin.channel, String::new())
            .await;
        let subject = self.dispatcher.subject(&msg);
        let admin = cove
            .access
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_admin(&subject);
        let uploader = Uploader {
            id: origin.user.clone(),
            admin,
        };
        let installed = cove.install(&bytes, &uploader).await?;
        self.describe(&installed)
    }

    fn describe(&self, installed: &Installed) -> anyhow::Result<String> {
        let cove = self.dispatcher.cove();
        let prefix = &cove.config.prefix;
        let v = &installed.version;
        let name = &v.manifest.name;
        let mut lines = vec![format!(
            "Installed **{name}** {} (sha256 {}).",
            v.manifest.version,
            &v.hash[..12.min(v.hash.len())]
        )];
        lines.push("Commands:".into());
        for c in &v.manifest.commands {
            lines.push(format!("- `{prefix}{}` {}", c.name, c.summary));
        }
        if !installed.record.active_is_approved() {
            lines.push(format!(
                "You are not an admin: {name} runs without grants until an admin approves it."
            ));
        }
        let permissions = cove
            .describe_grants(Some(name))
            .context("cannot list the plugin's permissions")?;
        lines.push(format!("```\n{permissions}\n```"));
        Ok(lines.join("\n"))
    }
}
