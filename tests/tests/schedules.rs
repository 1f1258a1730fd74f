//! Cron schedules end to end, with second-resolution crons as the test clock: ticks reach
//! `handle-event` once each (also with several schedules), and ticks that fell while the
//! server was down are skipped and logged, not replayed.

use std::time::SystemTime;

use cove_tests::{Env, hostile};

const EVERY_SECOND: &str = "* * * * * *";
const EVERY_2S: &str = "*/2 * * * * *";

/// The tick times (RFC 3339 keys `tick/<cron>/<time>`) the recorder has seen.
fn ticks(server: &cove_tests::Server) -> Vec<String> {
    server
        .reply("!recorded tick/ list")
        .lines()
        .filter(|l| l.starts_with("tick/"))
        .map(str::to_string)
        .collect()
}

/// `2026-11-21T10:00:02Z` as seconds since the epoch.
fn epoch_secs(rfc3339: &str) -> u64 {
    let (date, time) = rfc3339.trim_end_matches('Z').split_once('T').unwrap();
    let d: Vec<i64> = date.split('-').map(|p| p.parse().unwrap()).collect();
    let t: Vec<i64> = time.split(':').map(|p| p.parse().unwrap()).collect();
    let (y, m) = if d[1] <= 2 {
        (d[0] - 1, d[1] + 9)
    } else {
        (d[0], d[1] - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d[2] - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    (days * 86_400 + t[0] * 3600 + t[1] * 60 + t[2]) as u64
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn bad_cron_expressions_are_refused_at_grant() {
    let env = Env::new();
    env.install(&hostile("recorder"));
    let done = env.cove(&["grant", "recorder", "schedule", "every monday"]);
    assert!(!done.ok);
    assert!(
        done.stderr.contains("is not a cron expression"),
        "{}",
        done.stderr
    );
    let done = env.cove(&["grant", "recorder", "schedule", "0 9 * * 1-5"]);
    assert!(done.ok, "{done:?}");
}

#[test]
fn each_tick_of_each_schedule_arrives_once_and_downtime_is_skipped() {
    let env = Env::new();
    env.install(&hostile("recorder"));
    env.grant("recorder", &["schedule", EVERY_SECOND]);
    env.grant("recorder", &["schedule", EVERY_2S]);
    let server = env.serve();
    let seen = server.wait_for("three ticks of each schedule", || {
        let seen = ticks(&server);
        let each = |cron: &str| {
            seen.iter()
                .filter(|k| k.starts_with(&format!("tick/{cron}/")))
                .count()
        };
        (each(EVERY_SECOND) >= 3 && each(EVERY_2S) >= 3).then_some(seen)
    });
    // Every tick once: the deliveries add up to the number of distinct ticks.
    let summary = server.reply("!recorded tick/");
    let keys: usize = summary.split(' ').next().unwrap().parse().unwrap();
    assert_eq!(summary, format!("{keys} keys, {keys} deliveries"));
    for key in seen
        .iter()
        .filter(|k| k.starts_with(&format!("tick/{EVERY_2S}/")))
    {
        let secs = epoch_secs(key.rsplit('/').next().unwrap());
        assert_eq!(secs % 2, 0, "{key} is not on an even second");
    }

    server.stop();
    let stopped = now_secs();
    std::thread::sleep(std::time::Duration::from_secs(4));
    let restarting = now_secs();
    let server = env.serve();
    let before = ticks(&server).len();
    server.wait_for("new ticks after the restart", || {
        (ticks(&server).len() >= before + 2).then_some(())
    });
    let (_, stderr) = server.stop();
    assert!(
        stderr.contains("ticks missed while Cove was not running"),
        "{stderr}"
    );
    let in_downtime = ticks_in(&env, stopped + 1, restarting);
    assert!(
        in_downtime.is_empty(),
        "ticks from the downtime were replayed: {in_downtime:?}"
    );
}

/// Recorded ticks whose time lies in `[from, to)`, read after the server stopped.
fn ticks_in(env: &Env, from: u64, to: u64) -> Vec<String> {
    let done = env.run("!recorded tick/ list");
    done.stdout
        .lines()
        .filter(|l| l.starts_with("tick/"))
        .filter(|k| {
            let secs = epoch_secs(k.rsplit('/').next().unwrap());
            (from..to).contains(&secs)
        })
        .map(str::to_string)
        .collect()
}
