//! `cove plugin install|list|info|approve|rollback|remove` (and `new`, in `scaffold`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use crate::app::Cove;
use crate::dispatch::usage;
use crate::store::PluginRecord;

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

/// Runs one of the store-backed plugin commands.
pub async fn run(command: PluginCommand, cove: &Cove) -> anyhow::Result<ExitCode> {
    match command {
        PluginCommand::Install { file, uploader } => {
            let bytes = read_limited(&file, cove.config.limits.max_plugin_bytes)?;
            let uploader = match uploader {
                Some(id) => {
                    let subject = crate::policy::acl::Subject {
                        user_id: id.clone(),
                        user_name: id.clone(),
                        ..Default::default()
                    };
                    let admin = cove
                        .access
                        .read()
                        .unwrap_or_else(|e| e.into_inner())
                        .is_admin(&subject);
                    crate::install::Uploader { id, admin }
                }
                None => crate::install::Uploader::cli(),
            };
            let installed = cove
                .install(&bytes, &uploader)
                .await
                .with_context(|| format!("cannot install {}", file.display()))?;
            let v = &installed.version;
            let verb = if installed.already_present {
                "Reactivated"
            } else {
                "Installed"
            };
            println!(
                "{verb} {} {} (sha256 {}, {} bytes).",
                v.manifest.name,
                v.manifest.version,
                short(&v.hash),
                v.size
            );
            let commands: Vec<String> = v
                .manifest
                .commands
                .iter()
                .map(|c| format!("!{}", c.name))
                .collect();
            println!("Commands: {}", commands.join(", "));
            if !installed.record.active_is_approved() {
                println!(
                    "Uploaded by {}, not an admin: it runs without grants until `cove plugin approve {}`.",
                    uploader.id, v.manifest.name
                );
            }
            println!("{}", cove.describe_grants(Some(&v.manifest.name))?);
        }
        PluginCommand::List => {
            let plugins = cove.store.plugins()?;
            if plugins.is_empty() {
                println!(
                    "No plugins installed. Install one with `cove plugin install <file.wasm>`."
                );
            }
            for p in plugins {
                let v = p.active_version();
                let commands: Vec<&str> = v
                    .manifest
                    .commands
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect();
                println!(
                    "{:<16} {:<10} {}  {} version(s)  commands: {}",
                    p.name,
                    v.manifest.version,
                    short(&v.hash),
                    p.versions.len(),
                    commands.join(", ")
                );
            }
        }
        PluginCommand::Info { name } => {
            let record = cove
                .store
                .plugin(&name)?
                .with_context(|| format!("no plugin named {name:?} is installed"))?;
            print_info(&record, &cove.config.prefix);
            println!("\n{}", cove.describe_grants(Some(&name))?);
        }
        PluginCommand::Approve { name } => {
            let record = cove.approve(super::admin::CLI_ACTOR, &name)?;
            println!(
                "Approved {name} (sha256 {}): its grants apply to this version.",
                short(&record.active)
            );
        }
        PluginCommand::Rollback { name } => {
            let record = cove.rollback(super::admin::CLI_ACTOR, &name).await?;
            let v = record.active_version();
            println!(
                "Rolled {name} back to {} (sha256 {}).",
                v.manifest.version,
                short(&v.hash)
            );
        }
        PluginCommand::Remove { name } => {
            let record = cove.remove(super::admin::CLI_ACTOR, &name)?;
            println!("Removed {name} ({} version(s)).", record.versions.len());
        }
        PluginCommand::New(_) => unreachable!("handled without opening the store"),
    }
    Ok(ExitCode::SUCCESS)
}

/// The plugin commands that work through a running server's admin API.
pub fn run_remote(
    command: PluginCommand,
    remote: &super::remote::Remote,
) -> anyhow::Result<ExitCode> {
    match command {
        PluginCommand::List => super::remote::list(remote),
        PluginCommand::Install {
            file,
            uploader: None,
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            super::remote::install(remote, &bytes)
        }
        _ => anyhow::bail!(
            "a cove server holds the data directory; this command needs the store itself: stop \
             `cove serve`, or use the admin API"
        ),
    }
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

fn print_info(record: &PluginRecord, prefix: &str) {
    let active = record.active_version();
    let m = &active.manifest;
    println!("{} {} — {}", m.name, m.version, m.description);
    println!("\nCommands:");
    for c in &m.commands {
        let danger = if c.dangerous { "  [dangerous]" } else { "" };
        println!("  {:<40} {}{danger}", usage(prefix, c), c.summary);
    }
    println!("\nVersions (oldest first):");
    for v in &record.versions {
        let marker = if v.hash == record.active { "*" } else { " " };
        let approved = if record.approved.contains(&v.hash) {
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
            v.manifest.version, v.hash, v.size
        );
    }
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}
