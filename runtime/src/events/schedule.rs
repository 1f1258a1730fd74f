//! Cron schedules: one ticker task turns every granted `schedule "<cron>"` into one queued
//! event per tick (kind `schedule`, name the cron text, header `x-cove-scheduled-at`).
//!
//! Expressions are parsed by the `croner` crate, in UTC:
//!
//! | form | example | meaning |
//! |---|---|---|
//! | 5 fields | `0 9 * * 1-5` | minute hour day-of-month month day-of-week |
//! | 6 fields | `*/10 * * * * *` | a leading seconds field |
//! | nicknames | `@hourly`, `@daily`, `@weekly` | |
//!
//! Ticks are never replayed in a burst. The last fired tick of each schedule is stored; ticks
//! that fell while Cove was down, or while the ticker was held up, are skipped and logged,
//! and the schedule resumes with its next tick after now.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use croner::Cron;

use crate::app::Cove;
use crate::store::EventMeta;

/// The header that carries the tick's time (RFC 3339, UTC).
pub const SCHEDULED_AT: &str = "x-cove-scheduled-at";
/// The ticker looks at the grants at least this often, so a new grant starts promptly.
const RESCAN: Duration = Duration::from_secs(1);
/// At most this many missed ticks are counted for the log line.
const MAX_COUNTED: usize = 10_000;

/// Parses a cron expression, or says what is wrong with it.
pub fn parse(text: &str) -> anyhow::Result<Cron> {
    text.parse::<Cron>().map_err(|e| {
        anyhow::anyhow!(
            "`{text}` is not a cron expression ({e}); expected 5 fields (`0 9 * * 1-5`), 6 with seconds first, or @hourly/@daily"
        )
    })
}

/// Starts the ticker on the current runtime.
pub fn start(cove: Arc<Cove>) {
    tokio::spawn(run(cove));
}

type Key = (String, String);

async fn run(cove: Arc<Cove>) {
    let mut next: HashMap<Key, (Cron, DateTime<Utc>)> = HashMap::new();
    // Schedules that cannot be read (stored before a parser change): reported once.
    let mut unreadable: HashSet<Key> = HashSet::new();
    loop {
        let now = Utc::now();
        let granted = granted_schedules(&cove);
        next.retain(|key, _| granted.contains(key));
        for key in granted {
            if !next.contains_key(&key) {
                if unreadable.contains(&key) {
                    continue;
                }
                let Some(first) = first_tick(&cove, &key, now) else {
                    unreadable.insert(key);
                    continue;
                };
                next.insert(key.clone(), first);
            }
            let Some((cron, due)) = next.get_mut(&key) else {
                continue;
            };
            if *due > now {
                continue;
            }
            let fired = *due;
            let following = after(cron, &now);
            let missed = count_between(cron, &fired, &now);
            if missed > 0 {
                tracing::warn!(plugin = %key.0, schedule = %key.1, missed,
                    "the ticker was held up: skipped {missed} missed ticks (fired only the one due at {fired})");
            }
            fire(&cove, &key, fired).await;
            match following {
                Some(t) => *due = t,
                None => {
                    next.remove(&key);
                }
            }
        }
        let soonest = next.values().map(|(_, due)| *due).min();
        let wait = soonest
            .and_then(|due| (due - Utc::now()).to_std().ok())
            .unwrap_or(Duration::ZERO)
            .min(RESCAN);
        tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
    }
}

/// `(plugin, cron)` for every serving plugin's schedule grants.
fn granted_schedules(cove: &Cove) -> Vec<Key> {
    let catalog = cove.registry.snapshot();
    let mut keys = Vec::new();
    for plugin in catalog.plugins() {
        let name = plugin.name();
        for cron in cove.permissions.grants(name).schedules() {
            keys.push((name.to_string(), cron.to_string()));
        }
    }
    keys
}

/// The next tick of a schedule seen for the first time in this process, skipping (and
/// logging) the ticks that fell since it last fired, before a restart.
fn first_tick(cove: &Cove, key: &Key, now: DateTime<Utc>) -> Option<(Cron, DateTime<Utc>)> {
    let cron = match parse(&key.1) {
        Ok(cron) => cron,
        Err(e) => {
            tracing::error!(plugin = %key.0, "ignoring a schedule grant: {e:#}");
            return None;
        }
    };
    let last = cove
        .store
        .meta(&last_key(key))
        .ok()
        .flatten()
        .and_then(|v| v.try_into().ok())
        .map(i64::from_be_bytes)
        .and_then(DateTime::from_timestamp_millis);
    if let Some(last) = last {
        let missed = count_between(&cron, &last, &now);
        if missed > 0 {
            tracing::warn!(plugin = %key.0, schedule = %key.1, missed,
                "skipped {missed} ticks missed while Cove was not running (last fired {last})");
        }
    }
    let due = after(&cron, &now)?;
    Some((cron, due))
}

fn after(cron: &Cron, time: &DateTime<Utc>) -> Option<DateTime<Utc>> {
    cron.find_next_occurrence(time, false).ok()
}

/// Ticks strictly after `from` and at or before `to`.
fn count_between(cron: &Cron, from: &DateTime<Utc>, to: &DateTime<Utc>) -> usize {
    cron.iter_after(*from)
        .take_while(|t| t <= to)
        .take(MAX_COUNTED)
        .count()
}

fn last_key(key: &Key) -> String {
    format!("schedule-last/{}/{}", key.0, key.1)
}

async fn fire(cove: &Cove, key: &Key, at: DateTime<Utc>) {
    let meta = EventMeta {
        plugin: key.0.clone(),
        kind: "schedule".into(),
        name: key.1.clone(),
        headers: vec![(
            SCHEDULED_AT.to_string(),
            at.to_rfc3339_opts(SecondsFormat::Secs, true),
        )],
        received_ms: crate::now_ms(),
        attempts: 0,
        last_error: None,
    };
    if let Err(e) = cove.events.accept(&meta, b"", None).await {
        tracing::error!(plugin = %key.0, schedule = %key.1, "cannot queue a schedule tick: {e:#}");
        return;
    }
    if let Err(e) = cove
        .store
        .set_meta(&last_key(key), &at.timestamp_millis().to_be_bytes())
    {
        tracing::error!(plugin = %key.0, "cannot record a schedule tick: {e:#}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn forms_parse_and_bad_ones_are_explained() {
        for ok in [
            "0 9 * * 1-5",
            "*/10 * * * * *",
            "@hourly",
            "@daily",
            "15 */2 * * *",
        ] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "every minute", "61 * * * *", "* * *"] {
            let e = parse(bad).unwrap_err().to_string();
            assert!(e.contains("is not a cron expression"), "{bad}: {e}");
        }
    }

    #[test]
    fn next_ticks_and_missed_counts() {
        let weekdays = parse("0 9 * * 1-5").unwrap();
        // 2026-11-21 is a Saturday: the next 09:00 on a weekday is Monday the 23rd.
        let saturday = at("2026-11-21T10:00:00Z");
        assert_eq!(
            after(&weekdays, &saturday),
            Some(at("2026-11-23T09:00:00Z"))
        );
        let every_2s = parse("*/2 * * * * *").unwrap();
        let t0 = at("2026-11-21T10:00:00Z");
        assert_eq!(after(&every_2s, &t0), Some(at("2026-11-21T10:00:02Z")));
        // Down from 10:00:00 to 10:00:09: ticks at 2, 4, 6 and 8 were missed.
        assert_eq!(
            count_between(&every_2s, &t0, &at("2026-11-21T10:00:09Z")),
            4
        );
        assert_eq!(count_between(&every_2s, &t0, &t0), 0);
    }
}
