//! `cove plugin install|list|info|approve|rollback|remove` (and `new`, in `scaffold`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use serde_json::json;

use super::Opened;
use super::remote::encode;
use crate::admin::render_grants;
use crate::admin_api::model::{Installed, PluginDetail, PluginSummary};
use crate::app::Cove;
use crate::dispatch::usage;
use crate::manifest::Manifest;

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Install a plugin component (.wasm); a new version of an installed plugin replaces it at once.
    Install {
        /// The component file.
        file: PathBuf,
        /// Record the upload as this user's: a non-admin's version runs without grants until
        /// an admin approves it.
        #[arg(long = "as", value_name = "USER")]
        uploader: Option<String>,
    },
    /// Let the active version use the plugin's grants (after a non-admin's upload).
    Approve {
        /// Plugin name.
        name: String,
    },
    /// List installed plugins.
    List,
    /// Show a plugin's manifest and versions with their hashes.
    Info {
        /// Plugin name.
        name: String,
    },
    /// Make the version installed before the active one serve again.
    Rollback {
        /// Plugin name.
        name: String,
    },
    /// Remove a plugin and all its versions (its kv data is kept).
    Remove {
        /// Plugin name.
        name: String,
    },
    /// Create a new plugin crate that builds to an installable component.
    New(super::scaffold::NewArgs),
}

/// Runs one of the store-backed plugin commands, on the store or through a running server.
pub async fn run(command: PluginCommand, opened: &Opened) -> anyhow::Result<ExitCode> {
    match command {
        PluginCommand::Install { file, uploader } => {
            let installed = match opened {
                Opened::Local(d) => install_local(d.cove(), &file, uploader).await?,
                Opened::Remote(r) => {
                    let bytes = std::fs::read(&file)
                        .with_context(|| format!("cannot read {}", file.display()))?;
                    let path = match &uploader {
                        Some(id) => format!("/api/v1/plugins?as={}", encode(id)),
                        None => "/api/v1/plugins".into(),
                    };
                    let answer = r
                        .call("POST", &path, "application/wasm", &bytes)
                        .with_context(|| format!("cannot install {}", file.display()))?;
                    serde_json::from_value(answer)
                        .context("the server's answer has an unexpected shape")?
                }
            };
            print_installed(&installed);
        }
        PluginCommand::List => {
            let plugins: Vec<PluginSummary> = match opened {
                Opened::Local(d) => d.cove().plugin_summaries()?,
                Opened::Remote(r) => r.get("/api/v1/plugins")?,
            };
            if plugins.is_empty() {
                println!(
                    "No plugins installed. Install one with `cove plugin install <file.wasm>`."
                );
            }
            for p in plugins {
                let pending = if p.approved {
                    ""
                } else {
                    "  (awaiting approval)"
                };
                println!(
                    "{:<16} {:<10} {}  {} version(s)  commands: {}{pending}",
                    p.name,
                    p.version,
                    short(&p.sha256),
                    p.versions,
                    p.commands.join(", ")
                );
            }
        }
        PluginCommand::Info { name } => {
            let (detail, prefix) = match opened {
                Opened::Local(d) => (
                    d.cove().plugin_detail(&name)?,
                    d.cove().config.prefix.clone(),
                ),
                Opened::Remote(r) => (
                    r.get(&format!("/api/v1/plugins/{}", encode(&name)))?,
                    r.prefix().to_string(),
                ),
            };
            print_info(&detail, &prefix)?;
        }
        PluginCommand::Approve { name } => {
            let text = match opened {
                Opened::Local(d) => {
                    let record = d.cove().approve(super::admin::CLI_ACTOR, &name)?;
                    format!(
                        "Approved {name} (sha256 {}): its grants apply to this version.",
                        record.active
                    )
                }
                Opened::Remote(r) => r.change(
                    "POST",
                    &format!("/api/v1/plugins/{}/approve", encode(&name)),
                    &json!({}),
                )?,
            };
            println!("{text}");
        }
        PluginCommand::Rollback { name } => {
            let text = match opened {
                Opened::Local(d) => {
                    let record = d.cove().rollback(super::admin::CLI_ACTOR, &name).await?;
                    let v = record.active_version();
                    format!(
                        "Rolled {name} back to {} (sha256 {}).",
                        v.manifest.version, record.active
                    )
                }
                Opened::Remote(r) => r.change(
                    "POST",
                    &format!("/api/v1/plugins/{}/rollback", encode(&name)),
                    &json!({}),
                )?,
            };
            println!("{text}");
        }
        PluginCommand::Remove { name } => {
            let text = match opened {
                Opened::Local(d) => {
                    let record = d.cove().remove(super::admin::CLI_ACTOR, &name)?;
                    format!("Removed {name} ({} version(s)).", record.versions.len())
                }
                Opened::Remote(r) => r.change(
                    "DELETE",
                    &format!("/api/v1/plugins/{}", encode(&name)),
                    &json!({}),
                )?,
            };
            println!("{text}");
        }
        PluginCommand::New(_) => unreachable!("handled without opening the store"),
    }
    Ok(ExitCode::SUCCESS)
}

async fn install_local(
    cove: &Cove,
    file: &PathBuf,
    uploader: Option<String>,
) -> anyhow::Result<Installed> {
    let bytes = read_limited(file, cove.config.limits.max_plugin_bytes)?;
    let uploader = match uploader {
        Some(id) => cove.uploader(&id),
        None => crate::install::Uploader::cli(),
    };
    let installed = cove
        .install(&bytes, &uploader)
        .await
        .with_context(|| format!("cannot install {}", file.display()))?;
    Installed::of(cove, &installed, uploader.id)
}

fn print_installed(installed: &Installed) {
    let p = &installed.plugin;
    let verb = if installed.reactivated {
        "Reactivated"
    } else {
        "Installed"
    };
    println!(
        "{verb} {} {} (sha256 {}).",
        p.name,
        p.version,
        short(&p.sha256)
    );
    let commands: Vec<String> = p.commands.iter().map(|c| format!("!{c}")).collect();
    println!("Commands: {}", commands.join(", "));
    if !p.approved {
        println!(
            "Uploaded by {}, not an admin: it runs without grants until `cove plugin approve {}`.",
            installed.uploaded_by, p.name
        );
    }
    println!("{}", render_grants(std::slice::from_ref(p)));
}

/// Reads a file, refusing one over `limit` bytes before reading it whole.
fn read_limited(file: &PathBuf, limit: u64) -> anyhow::Result<Vec<u8>> {
    let size = std::fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    if size > limit {
        anyhow::bail!(
            "cannot install {}: the file is {size} bytes, over the {limit}-byte plugin size limit",
            file.display()
        );
    }
    std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))
}

fn print_info(detail: &PluginDetail, prefix: &str) -> anyhow::Result<()> {
    let m: Manifest = serde_json::from_value(detail.manifest.clone())
        .context("the plugin's manifest has an unexpected shape")?;
    println!("{} {} — {}", m.name, m.version, m.description);
    println!("\nCommands:");
    for c in &m.commands {
        let danger = if c.dangerous { "  [dangerous]" } else { "" };
        println!("  {:<40} {}{danger}", usage(prefix, c), c.summary);
    }
    println!("\nVersions (oldest first):");
    for v in &detail.version_history {
        let marker = if v.sha256 == detail.summary.sha256 {
            "*"
        } else {
            " "
        };
        let approved = if v.approved {
            "approved"
        } else {
            "not approved"
        };
        let by = if v.uploaded_by.is_empty() {
            "cli"
        } else {
            v.uploaded_by.as_str()
        };
        println!(
            "{marker} {:<10} sha256:{}  {} bytes  by {by}, {approved}",
            v.version, v.sha256, v.size
        );
    }
    println!("\n{}", render_grants(std::slice::from_ref(&detail.summary)));
    Ok(())
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}
