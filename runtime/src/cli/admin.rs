//! `cove grant|revoke|grants|secret|audit|admin|acl`: the admin commands of the CLI. The CLI
//! is run by whoever operates the server, so it acts as an admin (actor `cli`).

use std::io::Read;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use crate::app::Cove;
use crate::policy::acl::{Effect, Rule};
use crate::store::{AuditRecord, ChainReport};

/// The actor recorded in the audit log for CLI commands.
pub const CLI_ACTOR: &str = "cli";

/// The words of a grant, e.g. `net api.github.com` or `secret TOKEN --inject api.github.com`.
#[derive(Debug, Args)]
pub struct GrantArgs {
    /// Plugin name.
    pub plugin: String,
    /// The grant: `net <pattern>`, `secret <NAME> [--inject <pattern> [--header '<H>: {}']]`,
    /// `post <channel>`, `webhook <name>`, `schedule "<cron>"`.
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "GRANT"
    )]
    pub grant: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Set a secret; the value is read from stdin (or --from-env), never from the command line.
    Set {
        /// Secret name: A-Z, 0-9 and _, starting with a letter.
        name: String,
        /// Read the value from this environment variable instead of stdin.
        #[arg(long, value_name = "VAR")]
        from_env: Option<String>,
    },
    /// List secret names and which plugins hold them (never values).
    List,
    /// Remove a secret.
    Remove {
        /// Secret name.
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    verify: Option<AuditCommand>,
    /// Only records about this plugin.
    #[arg(long)]
    plugin: Option<String>,
    /// Only records by this user (or `cli`).
    #[arg(long)]
    user: Option<String>,
    /// Only records newer than this: `30m`, `2h`, `7d` or a date `2026-11-21`.
    #[arg(long)]
    since: Option<String>,
    /// Print JSON lines instead of text.
    #[arg(long)]
    json: bool,
    /// At most this many records (the newest).
    #[arg(long, default_value_t = 100)]
    limit: usize,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check the hash chain: reports the first changed, removed or reordered record.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Make a user (id or name) an admin.
    Add { user: String },
    /// Remove an admin added with `cove admin add` (configured admins stay).
    Remove { user: String },
    /// List admins.
    List,
}

#[derive(Debug, Subcommand)]
pub enum AclCommand {
    /// Allow `<scope>` (`*`, `plugin`, `plugin:command`) to `<who>` (`user:`, `role:`, `channel:`, `*`).
    Allow { scope: String, who: String },
    /// Deny `<scope>` to `<who>`.
    Deny { scope: String, who: String },
    /// Remove a rule: `cove acl remove allow deploy role:oncall`.
    Remove {
        #[arg(num_args = 3, value_names = ["EFFECT", "SCOPE", "WHO"])]
        rule: Vec<String>,
    },
    /// Whether commands no rule covers are allowed: `allow` or `deny`.
    Default { effect: String },
    /// Show the rules, the default and the admins.
    List,
}

/// `cove grant`.
pub fn grant(cove: &Cove, args: GrantArgs) -> anyhow::Result<ExitCode> {
    println!("{}", cove.grant(CLI_ACTOR, &args.plugin, &args.grant)?);
    Ok(ExitCode::SUCCESS)
}

/// `cove revoke`.
pub fn revoke(cove: &Cove, args: GrantArgs) -> anyhow::Result<ExitCode> {
    println!("{}", cove.revoke(CLI_ACTOR, &args.plugin, &args.grant)?);
    Ok(ExitCode::SUCCESS)
}

/// `cove secret …`.
pub fn secret(cove: &Cove, command: SecretCommand) -> anyhow::Result<ExitCode> {
    let text = match command {
        SecretCommand::Set { name, from_env } => {
            let value = match from_env {
                Some(var) => std::env::var(&var)
                    .with_context(|| format!("environment variable {var} is not set"))?
                    .into_bytes(),
                None => {
                    let mut value = Vec::new();
                    std::io::stdin()
                        .take(1 << 20)
                        .read_to_end(&mut value)
                        .context("cannot read the value from stdin")?;
                    value
                }
            };
            cove.set_secret(CLI_ACTOR, &name, &value)?
        }
        SecretCommand::List => cove.list_secrets()?,
        SecretCommand::Remove { name } => cove.remove_secret(CLI_ACTOR, &name)?,
    };
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// `cove audit [verify]`.
pub fn audit(cove: &Cove, args: AuditArgs) -> anyhow::Result<ExitCode> {
    if let Some(AuditCommand::Verify) = args.verify {
        return match cove.store.verify_audit()? {
            ChainReport::Intact { records } => {
                println!("The audit log is intact: {records} records, hash chain verified.");
                Ok(ExitCode::SUCCESS)
            }
            ChainReport::Broken { seq, problem } => {
                println!("The audit log was tampered with at record {seq}: {problem}.");
                Ok(ExitCode::FAILURE)
            }
        };
    }
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let keep = |r: &AuditRecord| {
        args.plugin
            .as_ref()
            .is_none_or(|p| r.event.plugin.as_ref() == Some(p))
            && args.user.as_ref().is_none_or(|u| &r.event.actor == u)
            && since.is_none_or(|t| r.at_ms >= t)
    };
    for record in cove.store.audit_records(keep, args.limit)? {
        if args.json {
            println!("{}", serde_json::to_string(&record)?);
        } else {
            println!("{}", record.one_line());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `30m`, `2h`, `7d`, `45s` ago, or a day `YYYY-MM-DD` (UTC), as ms since the epoch.
fn parse_since(text: &str) -> anyhow::Result<u64> {
    let now = crate::now_ms();
    let unit = |c: char| match c {
        's' => Some(1_000),
        'm' => Some(60_000),
        'h' => Some(3_600_000),
        'd' => Some(86_400_000),
        _ => None,
    };
    if let Some(last) = text.chars().last()
        && let Some(ms) = unit(last)
        && let Ok(n) = text[..text.len() - 1].parse::<u64>()
    {
        return Ok(now.saturating_sub(n.saturating_mul(ms)));
    }
    let parts: Vec<u64> = text.split('-').filter_map(|p| p.parse().ok()).collect();
    if let [y, m, d] = parts[..]
        && (1970..10_000).contains(&y)
        && (1..=12).contains(&m)
        && (1..=31).contains(&d)
    {
        return Ok(days_from_civil(y as i64, m as i64, d as i64) as u64 * 86_400_000);
    }
    bail!("--since takes an age like 30m, 2h, 7d or a date like 2026-11-21 (got {text:?})")
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `cove admin …`.
pub fn admin(cove: &Cove, command: AdminCommand) -> anyhow::Result<ExitCode> {
    let mut stored = cove.stored_acl()?;
    let text = match command {
        AdminCommand::List => {
            let acl = cove.access.read().unwrap_or_else(|e| e.into_inner());
            if acl.admins.is_empty() {
                "No admins. Add one with `cove admin add <user>` or `access.admins` in cove.toml."
                    .into()
            } else {
                acl.admins.iter().cloned().collect::<Vec<_>>().join("\n")
            }
        }
        AdminCommand::Add { user } => {
            stored.admins.insert(user.clone());
            cove.save_acl(CLI_ACTOR, &stored, format!("admin add {user}"))?;
            format!("{user} is now an admin.")
        }
        AdminCommand::Remove { user } => {
            if !stored.admins.remove(&user) {
                bail!(
                    "{user} was not added with `cove admin add` (admins from the configuration stay)"
                );
            }
            cove.save_acl(CLI_ACTOR, &stored, format!("admin remove {user}"))?;
            format!("{user} is no longer an admin.")
        }
    };
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// `cove acl …`.
pub fn acl(cove: &Cove, command: AclCommand) -> anyhow::Result<ExitCode> {
    let mut stored = cove.stored_acl()?;
    let text = match command {
        AclCommand::List => {
            let acl = cove.access.read().unwrap_or_else(|e| e.into_inner());
            let mut lines = vec![format!("default: {}", acl.default)];
            lines.extend(acl.rules.iter().map(|r| format!("{r}")));
            lines.push(format!(
                "admins: {}",
                acl.admins.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
            lines.join("\n")
        }
        AclCommand::Allow { scope, who } => add_rule(cove, &mut stored, &["allow", &scope, &who])?,
        AclCommand::Deny { scope, who } => add_rule(cove, &mut stored, &["deny", &scope, &who])?,
        AclCommand::Remove { rule } => {
            let rule = Rule::parse(&rule)?;
            if !stored.remove_rule(&rule) {
                bail!("there is no rule `{rule}`; `cove acl list` shows the rules");
            }
            cove.save_acl(CLI_ACTOR, &stored, format!("acl remove {rule}"))?;
            format!("Removed `{rule}`.")
        }
        AclCommand::Default { effect } => {
            stored.default = effect.parse::<Effect>()?;
            cove.save_acl(CLI_ACTOR, &stored, format!("acl default {effect}"))?;
            format!("Commands no rule covers are now {}ed.", stored.default)
        }
    };
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

fn add_rule(
    cove: &Cove,
    stored: &mut crate::policy::acl::Acl,
    words: &[&str],
) -> anyhow::Result<String> {
    let rule = Rule::parse(words)?;
    if !stored.add_rule(rule.clone()) {
        return Ok(format!("`{rule}` is already a rule."));
    }
    cove.save_acl(CLI_ACTOR, stored, format!("acl {rule}"))?;
    Ok(format!("Added `{rule}`."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_accepts_ages_and_dates() {
        let now = crate::now_ms();
        let two_hours = parse_since("2h").unwrap();
        assert!(now - two_hours >= 7_200_000 && now - two_hours < 7_300_000);
        assert_eq!(parse_since("1970-01-02").unwrap(), 86_400_000);
        assert_eq!(parse_since("2026-11-21").unwrap(), 1_795_219_200_000);
        assert!(parse_since("yesterday").is_err());
    }
}
