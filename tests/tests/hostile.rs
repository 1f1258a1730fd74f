//! Misbehaving plugins end only their own invocation, with a clear message, and the server
//! keeps answering — also while the misbehaving invocation is still running.

use cove_tests::{Env, Server, hostile};

/// Starts `hostile_cmd` in the background, checks `!echo` answers meanwhile, then checks the
/// hostile command's message and that `!echo` still answers afterwards.
fn survives(server: &Server, hostile_cmd: &'static str, expected: &[&str]) {
    let background = server.message_in_background(hostile_cmd);
    assert_eq!(server.reply("!echo while-it-runs"), "while-it-runs");
    let (status, body) = background.join().expect("hostile request thread");
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("json");
    let text = json["replies"][0]["text"].as_str().unwrap_or_default();
    for fragment in expected {
        assert!(
            text.contains(fragment),
            "{hostile_cmd}: {text:?} should contain {fragment:?}"
        );
    }
    assert_eq!(server.reply("!echo after"), "after");
}

fn server_with(plugins: &[&str]) -> (Env, Server) {
    let env = Env::new().var("COVE_DEADLINE_MS", "3000");
    for p in plugins {
        env.install(&hostile(p));
    }
    let server = env.serve();
    (env, server)
}

#[test]
fn infinite_loop_is_stopped_at_the_deadline() {
    let (_env, server) = server_with(&["spin"]);
    survives(
        &server,
        "!spin",
        &["spin plugin took longer than 3 s and was stopped"],
    );
}

#[test]
fn memory_bomb_is_stopped_at_the_memory_limit() {
    let (_env, server) = server_with(&["membomb"]);
    survives(
        &server,
        "!membomb",
        &["membomb plugin tried to use more than 64 MiB of memory"],
    );
}

#[test]
fn panic_and_trap_are_reported() {
    let (_env, server) = server_with(&["crash"]);
    survives(
        &server,
        "!crash",
        &["crash plugin crashed: panicked: crash plugin panicked on purpose"],
    );
    survives(
        &server,
        "!trap",
        &["crash plugin crashed: wasm trap", "unreachable"],
    );
}

#[test]
fn stack_overflow_is_reported() {
    let (_env, server) = server_with(&["deeprec"]);
    survives(
        &server,
        "!deeprec",
        &["deeprec plugin overflowed its stack"],
    );
}

#[test]
fn oversized_reply_is_truncated_with_a_marker() {
    let (_env, server) = server_with(&["bigreply"]);
    survives(
        &server,
        "!bigreply",
        &["[reply truncated: 65536 of 1048576 bytes shown]"],
    );
    let exact = server.reply("!bigreply-small 65536");
    assert_eq!(exact.len(), 65536, "a reply at the cap is not cut");
    assert!(!exact.contains("truncated"));
}

#[test]
fn two_hostile_plugins_at_once_do_not_block_others() {
    let (_env, server) = server_with(&["spin", "membomb"]);
    let spins: Vec<_> = (0..3)
        .map(|_| server.message_in_background("!spin"))
        .collect();
    for i in 0..5 {
        assert_eq!(
            server.reply(&format!("!echo ping-{i}")),
            format!("ping-{i}")
        );
        assert_eq!(server.reply("!sum 1 2 3"), "6");
    }
    for s in spins {
        let (status, body) = s.join().unwrap();
        assert_eq!(status, 200);
        assert!(body.contains("took longer than"), "{body}");
    }
}

#[test]
fn plugin_output_goes_to_the_log_tagged_with_plugin_and_invocation() {
    let env = Env::new();
    env.install(&hostile("chatty"));
    let done = env.run("!chatty");
    assert!(done.ok, "{done:?}");
    assert_eq!(done.stdout.trim(), "ok");
    for marker in [
        "chatty-stdout-marker",
        "chatty-stderr-marker",
        "chatty-log-marker",
    ] {
        let line = done
            .stderr
            .lines()
            .find(|l| l.contains(marker))
            .unwrap_or_else(|| panic!("{marker} not logged:\n{}", done.stderr));
        assert!(line.contains("plugin=chatty"), "{line}");
        assert!(line.contains("invocation="), "{line}");
    }
}

#[test]
fn in_flight_limit_queues_invocations_of_one_plugin_only() {
    let env = Env::new()
        .var("COVE_DEADLINE_MS", "1000")
        .var("COVE_MAX_IN_FLIGHT", "1");
    env.install(&hostile("spin"));
    let server = env.serve();
    let start = std::time::Instant::now();
    let spins: Vec<_> = (0..2)
        .map(|_| server.message_in_background("!spin"))
        .collect();
    // Other plugins are not held up by spin's full slot.
    assert_eq!(server.reply("!echo not-queued"), "not-queued");
    for s in spins {
        let (_, body) = s.join().unwrap();
        assert!(body.contains("took longer than 1 s"), "{body}");
    }
    // With one slot the second spin can only start once the first was stopped: a lower bound,
    // which a slow machine cannot break.
    assert!(
        start.elapsed() >= std::time::Duration::from_millis(2000),
        "{:?}",
        start.elapsed()
    );
}
