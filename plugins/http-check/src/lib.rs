//! `status <url>`: fetches a URL once and says what came back and how long it took, e.g.
//! `https://status.example.com → 200 OK in 123 ms`.
//!
//! The plugin cannot know in advance which hosts people will check, so its manifest asks
//! for none: an admin grants each host with `cove grant http-check net <host>`, and a check
//! of any other host is refused by Cove (which says so).

#![no_std]

use cove_sdk::http::{self, HttpError};
use cove_sdk::prelude::*;

struct HttpCheck;

impl Plugin for HttpCheck {
    fn manifest() -> Manifest {
        Manifest::new(
            "http-check",
            env!("CARGO_PKG_VERSION"),
            "Checks that a URL answers, and how fast. An admin must grant every host to \
             check: `cove grant http-check net <host>`.",
        )
        .command(
            Command::new("status", "Fetch a URL once: status code and response time")
                .arg(
                    Arg::text("url")
                        .describe("http:// or https:// URL; https:// is assumed without one"),
                )
                .example("!status https://status.example.com"),
        )
    }

    fn handle_command(inv: Invocation) -> Result<Reply, CommandError> {
        let url = url_of(inv.arg(0).unwrap_or_default())?;
        let started = host::now_ms();
        let result = http::get(&url);
        let elapsed = host::now_ms().saturating_sub(started);
        match result {
            Ok(response) => Ok(Reply::text(status_line(
                &url,
                response.status,
                response.reason(),
                response.header("location"),
                elapsed,
            ))),
            Err(e) => Err(failure(&url, &e)),
        }
    }
}

/// The URL to fetch: chat clients send links as `<https://x|x>` or `<https://x>`, and a bare
/// host name means `https://`.
fn url_of(arg: &str) -> Result<String, CommandError> {
    let arg = arg.trim();
    let arg = match arg.strip_prefix('<').and_then(|a| a.strip_suffix('>')) {
        Some(inner) => inner.split('|').next().unwrap_or_default(),
        None => arg,
    };
    if arg.is_empty() {
        return Err(CommandError::usage("which URL?"));
    }
    if arg.contains("://") {
        Ok(arg.to_string())
    } else {
        Ok(format!("https://{arg}"))
    }
}

fn status_line(
    url: &str,
    status: u16,
    reason: &str,
    location: Option<&str>,
    elapsed_ms: u64,
) -> String {
    let mut line = format!("{url} → {status}");
    if !reason.is_empty() {
        line.push(' ');
        line.push_str(reason);
    }
    line.push_str(&format!(" in {elapsed_ms} ms"));
    // Redirects are not followed: say where it points.
    if let Some(location) = location.filter(|_| (300..400).contains(&status)) {
        line.push_str(&format!(" (→ {location})"));
    }
    line
}

fn failure(url: &str, error: &HttpError) -> CommandError {
    match error.kind() {
        http::HttpErrorKind::InvalidRequest => CommandError::usage(error.to_string()),
        _ => CommandError::failed(format!("{url} → failed: {error}")),
    }
}

cove_sdk::export_plugin!(HttpCheck);
