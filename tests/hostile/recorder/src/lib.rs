//! Records every event it receives in its kv store, so end-to-end tests can count deliveries:
//!
//! | body | does |
//! |---|---|
//! | `id:<x>[ <padding>]` | counts a delivery of `<x>` under `ev/<x>` (a second delivery makes it 2) |
//! | `fail:<x>` | counts an attempt under `fail/<x>`, then returns an error |
//! | `trap:<x>` | counts an attempt under `trap/<x>`, then panics |
//! | `post:<channel>:<text>` | posts `<text>` to `<channel>` (fails if the post is refused) |
//! | anything, as a schedule tick | records `tick/<cron>/<x-cove-scheduled-at>` |
//!
//! With the plugin configuration `hold = "yes"` every event fails (`holding`), so tests can
//! keep accepted events in the queue.
//!
//! `!recorded <prefix>` answers `<keys> keys, <sum> deliveries` for the keys under `<prefix>`;
//! `!recorded <prefix> list` lists the keys.

use cove_sdk::prelude::*;

struct Recorder;

fn count(key: &str) -> u64 {
    let n = kv::get_string(key)
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        + 1;
    kv::set_string(key, &n.to_string()).expect("kv write");
    n
}

impl Plugin for Recorder {
    fn manifest() -> Manifest {
        Manifest::new("recorder", "0.1.0", "Records the events it receives")
            .command(
                Command::new("recorded", "Count recorded events")
                    .arg(Arg::text("prefix"))
                    .arg(Arg::text("list").optional()),
            )
            .webhook("in")
            .schedule("*/2 * * * * *")
            .post_to("ops")
    }

    fn handle_command(inv: Invocation) -> Result<Reply, CommandError> {
        let prefix = inv.arg(0).unwrap_or_default();
        let keys = kv::list_keys(prefix);
        if inv.arg(1) == Some("list") {
            return Ok(Reply::text(keys.join("\n")));
        }
        let sum: u64 = keys
            .iter()
            .filter_map(|k| kv::get_string(k)?.parse::<u64>().ok())
            .sum();
        Ok(Reply::text(format!("{} keys, {sum} deliveries", keys.len())))
    }

    fn handle_event(ev: Event) -> Result<(), CommandError> {
        if host::config("hold").as_deref() == Some("yes") {
            return Err(CommandError::failed("holding"));
        }
        if ev.kind == "schedule" {
            let at = ev
                .headers
                .iter()
                .find(|(n, _)| n == "x-cove-scheduled-at")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            count(&format!("tick/{}/{at}", ev.name));
            return Ok(());
        }
        let body = String::from_utf8_lossy(&ev.body).into_owned();
        if let Some(x) = body.strip_prefix("id:") {
            count(&format!("ev/{}", x.split(' ').next().unwrap_or_default()));
        } else if let Some(x) = body.strip_prefix("fail:") {
            let n = count(&format!("fail/{x}"));
            return Err(CommandError::failed(format!("failing on purpose, attempt {n}")));
        } else if let Some(x) = body.strip_prefix("trap:") {
            count(&format!("trap/{x}"));
            panic!("trapping on purpose");
        } else if let Some(rest) = body.strip_prefix("post:") {
            let (channel, text) = rest.split_once(':').unwrap_or((rest, ""));
            host::post(channel, text).map_err(CommandError::failed)?;
        } else {
            count("other");
        }
        Ok(())
    }
}

cove_sdk::export_plugin!(Recorder);
