//! `cove events [--failed]` and `cove events retry <id>`: the event queue, from the store or
//! through the running server's admin API when `cove serve` holds the store.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::Opened;
use crate::admin_api::model::EventSummary;
use crate::events::render_events;

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

/// `cove events [--failed]` or `cove events retry <id>`, on the store or through the server.
pub fn run(opened: &Opened, args: EventsArgs) -> anyhow::Result<ExitCode> {
    let limit = args.limit.clamp(1, 1000);
    let text = match (opened, args.command) {
        (Opened::Local(d), Some(EventsCommand::Retry { id })) => {
            d.cove().retry_event(super::admin::CLI_ACTOR, id)?
        }
        (Opened::Remote(r), Some(EventsCommand::Retry { id })) => r.change(
            "POST",
            &format!("/api/v1/events/{id}/retry"),
            &serde_json::json!({}),
        )?,
        (Opened::Local(d), None) => {
            render_events(&d.cove().event_summaries(args.failed, limit)?, args.failed)
        }
        (Opened::Remote(r), None) => {
            let path = format!("/api/v1/events?failed={}&limit={limit}", args.failed);
            render_events(&r.get::<Vec<EventSummary>>(&path)?, args.failed)
        }
    };
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}
