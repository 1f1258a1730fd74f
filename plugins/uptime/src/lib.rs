//! `uptime`: on each schedule tick, checks the configured URLs and posts when one changes
//! state (up → down, down → up). `!uptime` shows the last known state of each.
//!
//! Set-up (see `docs/notifications.md`): list the URLs in the plugin configuration
//! (`[plugins.uptime] urls = "https://a.example.com/health, https://b.example.com"`), grant
//! each host (`cove grant uptime net a.example.com`), a schedule
//! (`cove grant uptime schedule "* * * * *"`) and the channel (`cove grant uptime post alerts`;
//! the configuration `channel` overrides the default `alerts`).
//!
//! A URL is up when it answers 2xx or 3xx. A URL whose host was not granted is reported in
//! the log (Cove audits the refusal) and keeps its previous state.

#![no_std]

extern crate alloc;

use cove_sdk::http;
use cove_sdk::prelude::*;

const DEFAULT_CHANNEL: &str = "alerts";
/// URLs checked per tick.
const MAX_URLS: usize = 10;

struct Uptime;

impl Plugin for Uptime {
    fn manifest() -> Manifest {
        Manifest::new(
            "uptime",
            env!("CARGO_PKG_VERSION"),
            "Checks the configured URLs on a schedule and posts when one goes down or comes \
             back. An admin grants each host: `cove grant uptime net <host>`.",
        )
        .command(Command::new("uptime", "Show the last known state of each checked URL").example("!uptime"))
        .schedule("* * * * *")
        .post_to(DEFAULT_CHANNEL)
    }

    fn handle_command(_inv: Invocation) -> Result<Reply, CommandError> {
        let urls = urls();
        if urls.is_empty() {
            return Ok(Reply::text(
                "No URLs are configured: set `urls` under [plugins.uptime] in cove.toml.",
            ));
        }
        let lines: Vec<String> = urls
            .iter()
            .map(|url| match kv::get_string(&state_key(url)) {
                Some(state) => format!("{url}: {state}"),
                None => format!("{url}: not checked yet"),
            })
            .collect();
        Ok(Reply::text(lines.join("\n")))
    }

    fn handle_event(_ev: Event) -> Result<(), CommandError> {
        let channel = host::config("channel").unwrap_or_else(|| DEFAULT_CHANNEL.into());
        for url in urls() {
            let Some(now) = check(&url) else {
                continue;
            };
            let key = state_key(&url);
            let before = kv::get_string(&key);
            let was_up = before.as_deref().map(|s| s.starts_with("up"));
            let is_up = now.starts_with("up");
            kv::set_string(&key, &now)
                .map_err(|e| CommandError::failed(format!("cannot store the state: {e:?}")))?;
            // The first check of a URL posts only when it is down.
            if was_up != Some(is_up) && (was_up.is_some() || !is_up) {
                let text = if is_up {
                    format!("🟢 {url} is up again ({now})")
                } else {
                    format!("🔴 {url} is DOWN ({now})")
                };
                host::post(&channel, &text).map_err(CommandError::failed)?;
            }
        }
        Ok(())
    }
}

/// The configured URLs, at most [`MAX_URLS`].
fn urls() -> Vec<String> {
    host::config("urls")
        .unwrap_or_default()
        .split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .take(MAX_URLS)
        .map(String::from)
        .collect()
}

fn state_key(url: &str) -> String {
    format!("state/{url}")
}

/// `up: 200 OK` or `down: …`; `None` when Cove refused the request (not granted), which
/// says nothing about the URL.
fn check(url: &str) -> Option<String> {
    match http::get(url) {
        Ok(response) if (200..400).contains(&response.status) => {
            Some(format!("up: {} {}", response.status, response.reason()))
        }
        Ok(response) => Some(format!("down: {} {}", response.status, response.reason())),
        Err(e) if e.is_denied() => {
            host::log::warn(&format!("not checking {url}: {e}"));
            None
        }
        Err(e) => Some(format!("down: {e}")),
    }
}

cove_sdk::export_plugin!(Uptime);
