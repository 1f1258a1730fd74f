//! `cove grant|revoke|grants|secret|audit|admin|acl`: the admin commands of the CLI. The CLI
//! is run by whoever operates the server, so it acts as an admin (actor `cli`).

use std::io::Read;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use serde_json::json;

use super::Opened;
use super::remote::encode;
use crate::admin::{render_acl, render_grants, render_secrets};
use crate::admin_api::model::{AdminList, AuditPage, ChainCheck, PluginDetail, PluginSummary};
use crate::policy::acl::{Acl, Effect, Rule};
use crate::store::AuditFilter;

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

/// `cove grant` / `cove revoke`.
pub fn change_grant(opened: &Opened, args: GrantArgs, add: bool) -> anyhow::Result<ExitCode> {
    let text = match opened {
        Opened::Local(d) if add => d.cove().grant(CLI_ACTOR, &args.plugin, &args.grant)?,
        Opened::Local(d) => d.cove().revoke(CLI_ACTOR, &args.plugin, &args.grant)?,
        Opened::Remote(r) => {
            let grant = shlex::try_join(args.grant.iter().map(String::as_str))
                .context("the grant cannot be quoted")?;
            let method = if add { "POST" } else { "DELETE" };
            let path = format!("/api/v1/plugins/{}/grants", encode(&args.plugin));
            r.change(method, &path, &json!({ "grant": grant }))?
        }
    };
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// `cove grants [plugin]`.
pub fn grants(opened: &Opened, plugin: Option<String>) -> anyhow::Result<ExitCode> {
    let text = match (opened, plugin) {
        (Opened::Local(d), plugin) => d.cove().describe_grants(plugin.as_deref())?,
        (Opened::Remote(r), Some(name)) => {
            let detail: PluginDetail = r.get(&format!("/api/v1/plugins/{}", encode(&name)))?;
            render_grants(&[detail.summary])
        }
        (Opened::Remote(r), None) => {
            render_grants(&r.get::<Vec<PluginSummary>>("/api/v1/plugins")?)
        }
    };
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// `cove secret …`.
pub fn secret(opened: &Opened, command: SecretCommand) -> anyhow::Result<ExitCode> {
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
            match opened {
                Opened::Local(d) => d.cove().set_secret(CLI_ACTOR, &name, &value)?,
                Opened::Remote(r) => {
                    let path = format!("/api/v1/secrets/{}", encode(&name));
                    let answer = r.call("PUT", &path, "text/plain", &value)?;
                    answer["message"].as_str().unwrap_or("Done.").to_string()
                }
            }
        }
        SecretCommand::List => render_secrets(&match opened {
            Opened::Local(d) => d.cove().secret_infos()?,
            Opened::Remote(r) => r.get("/api/v1/secrets")?,
        }),
        SecretCommand::Remove { name } => match opened {
            Opened::Local(d) => d.cove().remove_secret(CLI_ACTOR, &name)?,
            Opened::Remote(r) => r.change(
                "DELETE",
                &format!("/api/v1/secrets/{}", encode(&name)),
                &json!({}),
            )?,
        },
    };
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// `cove audit [verify]`.
pub fn audit(opened: &Opened, args: AuditArgs) -> anyhow::Result<ExitCode> {
    if let Some(AuditCommand::Verify) = args.verify {
        let check: ChainCheck = match opened {
            Opened::Local(d) => d.cove().store.verify_audit()?.into(),
            Opened::Remote(r) => r.get("/api/v1/audit/verify")?,
        };
        return Ok(if check.intact {
            println!(
                "The audit log is intact: {} records, hash chain verified.",
                check.records.unwrap_or(0)
            );
            ExitCode::SUCCESS
        } else {
            println!(
                "The audit log was tampered with at record {}: {}.",
                check.broken_at.unwrap_or(0),
                check.problem.unwrap_or_default()
            );
            ExitCode::FAILURE
        });
    }
    let filter = AuditFilter {
        plugin: args.plugin,
        user: args.user,
        since_ms: args.since.as_deref().map(parse_since).transpose()?,
        ..AuditFilter::default()
    };
    let records = match opened {
        Opened::Local(d) => d
            .cove()
            .store
            .audit_records(|r| filter.matches(r), args.limit)?,
        Opened::Remote(r) => {
            let mut query = format!("/api/v1/audit?limit={}", args.limit.clamp(1, 1000));
            for (key, value) in [("plugin", &filter.plugin), ("user", &filter.user)] {
                if let Some(value) = value {
                    query.push_str(&format!("&{key}={}", encode(value)));
                }
            }
            if let Some(since) = filter.since_ms {
                query.push_str(&format!("&since_ms={since}"));
            }
            r.get::<AuditPage>(&query)?.records
        }
    };
    for record in records {
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
pub fn admin(opened: &Opened, command: AdminCommand) -> anyhow::Result<ExitCode> {
    let text = match (opened, command) {
        (Opened::Local(d), AdminCommand::List) => render_admin_list(&d.cove().admin_list()),
        (Opened::Remote(r), AdminCommand::List) => render_admin_list(&r.get("/api/v1/admins")?),
        (Opened::Local(d), AdminCommand::Add { user }) => d.cove().add_admin(CLI_ACTOR, &user)?,
        (Opened::Remote(r), AdminCommand::Add { user }) => {
            r.change("POST", "/api/v1/admins", &json!({ "user": user }))?
        }
        (Opened::Local(d), AdminCommand::Remove { user }) => {
            d.cove().remove_admin(CLI_ACTOR, &user)?
        }
        (Opened::Remote(r), AdminCommand::Remove { user }) => r.change(
            "DELETE",
            &format!("/api/v1/admins/{}", encode(&user)),
            &json!({}),
        )?,
    };
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

fn render_admin_list(list: &AdminList) -> String {
    if list.admins.is_empty() {
        return "No admins. Add one with `cove admin add <user>` or `access.admins` in cove.toml."
            .into();
    }
    list.admins
        .iter()
        .map(|a| {
            if list.configured.contains(a) {
                format!("{a} (configured)")
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `cove acl …`.
pub fn acl(opened: &Opened, command: AclCommand) -> anyhow::Result<ExitCode> {
    let rule = |words: &[&str]| Rule::parse(words);
    let text = match (opened, command) {
        (Opened::Local(d), AclCommand::List) => render_acl(&d.cove().effective_access()),
        (Opened::Remote(r), AclCommand::List) => render_acl(&r.get::<Acl>("/api/v1/acl")?),
        (opened, AclCommand::Allow { scope, who }) => {
            add_rule(opened, rule(&["allow", &scope, &who])?)?
        }
        (opened, AclCommand::Deny { scope, who }) => {
            add_rule(opened, rule(&["deny", &scope, &who])?)?
        }
        (Opened::Local(d), AclCommand::Remove { rule: words }) => {
            d.cove().remove_rule(CLI_ACTOR, &Rule::parse(&words)?)?
        }
        (Opened::Remote(r), AclCommand::Remove { rule: words }) => {
            let rule = Rule::parse(&words)?;
            r.change(
                "DELETE",
                "/api/v1/acl",
                &json!({ "rule": rule.to_string() }),
            )?
        }
        (Opened::Local(d), AclCommand::Default { effect }) => d
            .cove()
            .set_acl_default(CLI_ACTOR, effect.parse::<Effect>()?)?,
        (Opened::Remote(r), AclCommand::Default { effect }) => {
            r.change("PUT", "/api/v1/acl/default", &json!({ "default": effect }))?
        }
    };
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

fn add_rule(opened: &Opened, rule: Rule) -> anyhow::Result<String> {
    match opened {
        Opened::Local(d) => d.cove().add_rule(CLI_ACTOR, rule),
        Opened::Remote(r) => r.change("POST", "/api/v1/acl", &json!({ "rule": rule.to_string() })),
    }
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
