//! `cove events [--failed]` and `cove events retry <id>`: the event queue, from the store or
//! through the running server's admin API when `cove serve` holds the store.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::remote::Remote;
use crate::app::Cove;

/// `cove events`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    #[command(subcommand)]
    command: Option<EventsCommand>,
    /// List dead-lettered events (out of attempts) instead of pending ones.
    #[arg(long)]
    failed: bool,
    /// At most this many events (the oldest).
    #[arg(long, default_value_t = 100)]
    limit: usize,
}

#[derive(Debug, Subcommand)]
enum EventsCommand {
    /// Put a dead-lettered event back in the queue for delivery.
    Retry {
        /// The event id, as `cove events --failed` shows it.
        id: u64,
    },
}

/// Against the store.
pub fn local(cove: &Cove, args: EventsArgs) -> anyhow::Result<ExitCode> {
    if let Some(EventsCommand::Retry { id }) = args.command {
        println!("{}", cove.retry_event(super::admin::CLI_ACTOR, id)?);
        return Ok(ExitCode::SUCCESS);
    }
    let events = cove.events.list(args.failed, args.limit.clamp(1, 1000))?;
    print_list(
        events
            .iter()
            .map(|e| crate::events::describe(e, args.failed)),
        args.failed,
    );
    Ok(ExitCode::SUCCESS)
}

/// Through the running server.
pub fn remote(remote: &Remote, args: EventsArgs) -> anyhow::Result<ExitCode> {
    if let Some(EventsCommand::Retry { id }) = args.command {
        let answer = remote.call(
            "POST",
            &format!("/api/v1/events/{id}/retry"),
            "application/json",
            b"",
        )?;
        println!("{}", answer["message"].as_str().unwrap_or("done"));
        return Ok(ExitCode::SUCCESS);
    }
    let path = format!(
        "/api/v1/events?failed={}&limit={}",
        args.failed,
        args.limit.clamp(1, 1000)
    );
    let answer = remote.call("GET", &path, "application/json", b"")?;
    let lines = answer.as_array().into_iter().flatten().map(|e| {
        let mut line = format!(
            "{:>6}  {:<7}  {:<16} {} {}  ({} bytes, {} attempts)",
            e["id"],
            if args.failed { "failed" } else { "pending" },
            e["plugin"].as_str().unwrap_or("?"),
            e["kind"].as_str().unwrap_or("?"),
            e["name"].as_str().unwrap_or("?"),
            e["body_bytes"],
            e["attempts"]
        );
        if let Some(error) = e["last_error"].as_str() {
            line.push_str(&format!("\n        last error: {error}"));
        }
        line
    });
    print_list(lines, args.failed);
    Ok(ExitCode::SUCCESS)
}

fn print_list(lines: impl Iterator<Item = String>, failed: bool) {
    let mut any = false;
    for line in lines {
        any = true;
        println!("{line}");
    }
    if !any {
        println!(
            "{}",
            if failed {
                "No failed events."
            } else {
                "No events are waiting for delivery."
            }
        );
    }
}
