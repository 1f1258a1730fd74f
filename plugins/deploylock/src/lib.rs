//! Deployment locks per environment: `!lock prod hotfix in progress`, `!unlock prod`,
//! `!locks`. A lock is advisory: it tells people (and bots that ask) not to deploy.
//!
//! Stored in kv as `lock/<env>` = `holder-id \t holder-name \t since-ms \t reason`; tabs in
//! names are replaced so the first three fields always split cleanly.

#![no_std]

use cove_sdk::prelude::*;

const PREFIX: &str = "lock/";

struct DeployLock;

/// One stored lock.
struct Lock {
    holder_id: String,
    holder: String,
    since_ms: u64,
    reason: String,
}

impl Plugin for DeployLock {
    fn manifest() -> Manifest {
        Manifest::new(
            "deploylock",
            env!("CARGO_PKG_VERSION"),
            "Per-environment deployment locks",
        )
        .command(
            Command::new("lock", "Lock an environment against deploys")
                .arg(Arg::text("env").describe("e.g. prod, staging"))
                .arg(Arg::text("reason").optional().rest().describe("why"))
                .example("!lock prod migrating the orders table"),
        )
        .command(
            Command::new("unlock", "Release a lock (holder or admin)")
                .arg(Arg::text("env"))
                .example("!unlock prod"),
        )
        .command(Command::new("locks", "List current locks").example("!locks"))
    }

    fn handle_command(inv: Invocation) -> Result<Reply, CommandError> {
        let now = host::now_ms();
        match inv.command.as_str() {
            "lock" => lock(&inv, now),
            "unlock" => unlock(&inv, now),
            "locks" => Ok(list(now)),
            other => Err(CommandError::failed(format!(
                "deploylock has no command `{other}`"
            ))),
        }
    }
}

fn lock(inv: &Invocation, now: u64) -> Result<Reply, CommandError> {
    let env = env_of(inv)?;
    // The reason is the raw text after the environment word, so it reads as typed.
    let reason = inv
        .raw
        .trim_start()
        .split_once(char::is_whitespace)
        .map_or("", |(_, r)| r);
    let since_ms = match load(&env) {
        Some(l) if l.holder_id != inv.user.id => {
            return Err(CommandError::failed(format!(
                "`{env}` is already locked by {}, {} ago{}. Ask them or an admin to `!unlock {env}`.",
                l.holder,
                age(now, l.since_ms),
                because(&l.reason)
            )));
        }
        Some(l) => l.since_ms, // the holder re-locking only updates the reason
        None => now,
    };
    let value = format!(
        "{}\t{}\t{since_ms}\t{}",
        clean(&inv.user.id),
        clean(&inv.user.name),
        reason.trim()
    );
    cove_sdk::kv::set_string(&key(&env), &value)?;
    Ok(Reply::text(format!(
        "Locked `{env}` for {}{}.",
        inv.user.name,
        because(reason.trim())
    )))
}

fn unlock(inv: &Invocation, now: u64) -> Result<Reply, CommandError> {
    let env = env_of(inv)?;
    let Some(l) = load(&env) else {
        return Err(CommandError::failed(format!("`{env}` is not locked.")));
    };
    if l.holder_id != inv.user.id && !inv.has_role("admin") {
        return Err(CommandError::denied(format!(
            "`{env}` is locked by {}; only they or an admin can unlock it.",
            l.holder
        )));
    }
    cove_sdk::kv::delete(&key(&env))?;
    Ok(Reply::text(format!(
        "Unlocked `{env}` (held by {} for {}).",
        l.holder,
        age(now, l.since_ms)
    )))
}

fn list(now: u64) -> Reply {
    let lines: Vec<String> = cove_sdk::kv::list_keys(PREFIX)
        .iter()
        .filter_map(|k| Some((k.strip_prefix(PREFIX)?, load(k.strip_prefix(PREFIX)?)?)))
        .map(|(env, l)| {
            format!(
                "• `{env}`: {}, {} ago{}",
                l.holder,
                age(now, l.since_ms),
                because(&l.reason)
            )
        })
        .collect();
    if lines.is_empty() {
        Reply::text("No environments are locked.")
    } else {
        Reply::text(lines.join("\n"))
    }
}

fn load(env: &str) -> Option<Lock> {
    let value = cove_sdk::kv::get_string(&key(env))?;
    let mut f = value.splitn(4, '\t');
    Some(Lock {
        holder_id: f.next()?.to_string(),
        holder: f.next()?.to_string(),
        since_ms: f.next()?.parse().ok()?,
        reason: f.next().unwrap_or("").to_string(),
    })
}

/// An environment name is one short word; lowercased so `Prod` and `prod` are one lock.
fn env_of(inv: &Invocation) -> Result<String, CommandError> {
    let env = inv.arg(0).unwrap_or("").to_ascii_lowercase();
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if env.is_empty() || env.len() > 64 || !env.chars().all(ok) {
        return Err(CommandError::usage("name one environment, e.g. `prod`"));
    }
    Ok(env)
}

fn key(env: &str) -> String {
    format!("{PREFIX}{env}")
}

fn clean(s: &str) -> String {
    s.replace(['\t', '\n'], " ")
}

fn because(reason: &str) -> String {
    if reason.is_empty() {
        String::new()
    } else {
        format!(": {reason}")
    }
}

/// A rough human age: `42s`, `5m`, `3h`, `2d`.
fn age(now: u64, since: u64) -> String {
    let s = now.saturating_sub(since) / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

cove_sdk::export_plugin!(DeployLock);
