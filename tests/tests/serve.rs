//! `cove serve`: the HTTP chat endpoint, bad input, and graceful shutdown.

use std::thread;

use cove_tests::{Env, http_request};

#[test]
fn http_chat_answers_commands_and_ignores_chatter() {
    let env = Env::new();
    let server = env.serve();
    assert_eq!(server.reply("!echo hi"), "hi");
    assert_eq!(server.reply("!sum 1 2 3 4 5"), "15");
    let (status, body) = server.message("u1", "c1", "just talking");
    assert_eq!(status, 200);
    assert_eq!(body, serde_json::json!({"replies": []}));
    let (status, body) = server.message("u1", "c1", "!nope");
    assert_eq!(status, 200);
    assert_eq!(body["replies"][0]["kind"], "error");
    assert_eq!(body["replies"][0]["ephemeral"], true);
    let (status, health) = http_request(server.addr, "GET", "/healthz", "");
    assert_eq!(status, 200);
    assert!(
        health.contains("\"status\":\"ok\"") && health.contains("\"plugins\":8"),
        "{health}"
    );
    let (status, metrics) = http_request(server.addr, "GET", "/metrics", "");
    assert_eq!(status, 200);
    for line in [
        "cove_invocations_total{plugin=\"echo\",command=\"echo\",outcome=\"ok\"} 1",
        "cove_invocations_total{plugin=\"echo\",command=\"sum\",outcome=\"ok\"} 1",
        "cove_invocation_seconds_count 2",
        "cove_instances_in_flight 0",
    ] {
        assert!(metrics.contains(line), "{line} missing from\n{metrics}");
    }
}

#[test]
fn malformed_messages_get_400_naming_the_problem() {
    let env = Env::new();
    let server = env.serve();
    let cases = [
        ("not json", "invalid message: expected"),
        (
            "{\"user\": \"u\", \"channel\": \"c\"}",
            "missing field `text`",
        ),
        (
            "{\"user\": \"u\", \"text\": \"!echo\"}",
            "missing field `channel`",
        ),
        (
            "{\"user\": 5, \"channel\": \"c\", \"text\": \"x\"}",
            "invalid type",
        ),
        (
            "{\"user\": \"\", \"channel\": \"c\", \"text\": \"x\"}",
            "`user` must not be empty",
        ),
        (
            "{\"user\": \"u\", \"channel\": \"c\", \"text\": \"x\", \"extra\": 1}",
            "unknown field `extra`",
        ),
    ];
    for (body, expected) in cases {
        let (status, json) = server.post("/api/v1/messages", body);
        assert_eq!(status, 400, "{body}");
        let error = json["error"].as_str().unwrap_or_default();
        assert!(
            error.contains(expected),
            "{body}: {error:?} should contain {expected:?}"
        );
    }
    assert_eq!(server.reply("!echo still-fine"), "still-fine");
}

#[test]
fn sigterm_lets_in_flight_commands_finish() {
    let env = Env::new().var("COVE_DEADLINE_MS", "1500");
    env.install(&cove_tests::hostile("spin"));
    let server = env.serve();
    let addr = server.addr;
    let in_flight = thread::spawn(move || {
        let body = serde_json::json!({"user": "u", "channel": "c", "text": "!spin"}).to_string();
        http_request(addr, "POST", "/api/v1/messages", &body)
    });
    // Make sure the request reached the server before the signal.
    thread::sleep(std::time::Duration::from_millis(300));
    let (clean_exit, stderr) = server.stop();
    let (status, body) = in_flight.join().unwrap();
    assert_eq!(status, 200, "in-flight request was cut off: {body}");
    assert!(body.contains("took longer than"), "{body}");
    assert!(clean_exit, "{stderr}");
    assert!(stderr.contains("shutting down"), "{stderr}");
}

#[test]
fn only_one_process_opens_the_store() {
    let env = Env::new();
    let _server = env.serve();
    let done = env.run("!echo hi");
    assert!(!done.ok);
    assert!(
        done.stderr.contains("in use by another cove process"),
        "{}",
        done.stderr
    );
}

#[test]
fn metrics_count_failures_denials_and_egress_by_kind() {
    let env = Env::new().var("COVE_DEADLINE_MS", "500");
    for plugin in ["crash", "spin", "netprobe"] {
        env.install(&cove_tests::hostile(plugin));
    }
    let server = env.serve();
    assert!(server.reply("!trap").contains("wasm trap"));
    assert!(server.reply("!spin").contains("was stopped"));
    let fetched = server.texts("u1", "!fetch http://example.invalid/");
    assert!(fetched.contains("blocked"), "{fetched}");
    assert!(server.texts("u1", "!cove grants").contains("admin"));
    let (status, metrics) = http_request(server.addr, "GET", "/metrics", "");
    assert_eq!(status, 200);
    for line in [
        "cove_sandbox_failures_total{kind=\"crashed\"} 1",
        "cove_sandbox_failures_total{kind=\"timeout\"} 1",
        "cove_denials_total{kind=\"egress\"} 1",
        "cove_denials_total{kind=\"admin\"} 1",
        "cove_egress_requests_total{outcome=\"denied\"} 1",
        "cove_invocations_total{plugin=\"crash\",command=\"trap\",outcome=\"crashed\"} 1",
        "cove_invocations_total{plugin=\"spin\",command=\"spin\",outcome=\"timeout\"} 1",
        "# TYPE cove_invocation_seconds histogram",
        "cove_instances_in_flight 0",
    ] {
        assert!(metrics.contains(line), "{line} missing from\n{metrics}");
    }
}
