//! The first-party notification plugins through the real binary: `alerts` (Alertmanager),
//! `github-events` (GitHub webhooks) and `uptime` (a schedule checking URLs). Posts are
//! observed on the HTTP chat's feed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use cove::events::signature::sign_github;
use cove_tests::fake_http::{Answer, FakeHttp};
use cove_tests::{Env, Server};

/// Waits until a post in `channel` contains every one of `words`; returns it.
fn post_containing(server: &Server, channel: &str, words: &[&str]) -> String {
    server.wait_for(&format!("a post in #{channel} with {words:?}"), || {
        server
            .posts(channel)
            .into_iter()
            .find(|p| words.iter().all(|w| p.contains(w)))
    })
}

const ALERTMANAGER: &str = r#"{
  "version": "4", "status": "firing", "receiver": "cove", "groupKey": "{}:{alertname=\"HighLatency\"}",
  "groupLabels": {"alertname": "HighLatency"},
  "commonLabels": {"alertname": "HighLatency", "severity": "page"},
  "externalURL": "http://alertmanager.example:9093",
  "alerts": [
    {"status": "firing", "fingerprint": "f1",
     "labels": {"alertname": "HighLatency", "instance": "api-1", "severity": "page"},
     "annotations": {"summary": "p99 above 2 s"},
     "generatorURL": "http://prometheus.example/graph?g0.expr=latency"},
    {"status": "firing", "fingerprint": "f2",
     "labels": {"alertname": "HighLatency", "instance": "api-2", "severity": "page"},
     "annotations": {"summary": "p99 above 3 s"}, "generatorURL": ""}
  ]
}"#;

#[test]
fn alerts_posts_firing_and_resolved_alertmanager_notifications() {
    let env = Env::new().var("COVE_WEBHOOK_TOKEN_HOOKS", "alerts/alertmanager");
    env.grant("alerts", &["post", "alerts"]);
    let secret = env.grant_webhook("alerts", "alertmanager");
    let server = env.serve();
    // Alertmanager cannot sign: it sends the secret as a bearer token (opted in above).
    let bearer = format!("Bearer {secret}");
    let auth = [("Authorization", bearer.as_str())];
    let (status, body) = server.hook("alerts", "alertmanager", &auth, ALERTMANAGER.as_bytes());
    assert_eq!(status, 202, "{body}");
    let post = post_containing(&server, "alerts", &["FIRING (2) HighLatency"]);
    for expected in [
        "receiver cove",
        "• [page] HighLatency on api-1: p99 above 2 s (source: http://prometheus.example/graph?g0.expr=latency)",
        "alertname=HighLatency, instance=api-1, severity=page",
        "HighLatency on api-2: p99 above 3 s",
        "Alertmanager: http://alertmanager.example:9093",
    ] {
        assert!(post.contains(expected), "{expected:?} missing from\n{post}");
    }
    assert!(server.reply("!alerts").starts_with("2 firing:"));

    let resolved = ALERTMANAGER.replace(
        "\"status\": \"firing\", \"fingerprint\": \"f1\"",
        "\"status\": \"resolved\", \"fingerprint\": \"f1\"",
    );
    assert_eq!(
        server
            .hook("alerts", "alertmanager", &auth, resolved.as_bytes())
            .0,
        202
    );
    let mixed = post_containing(&server, "alerts", &["RESOLVED (1)"]);
    assert!(
        mixed.contains("✅ • [page] HighLatency on api-1"),
        "{mixed}"
    );
    server.wait_for("api-1 to leave !alerts", || {
        let text = server.reply("!alerts");
        (text.starts_with("1 firing:") && text.contains("api-2")).then_some(())
    });

    // A wrong token is refused; a hook not opted in to tokens refuses the right one.
    let wrong = [("Authorization", "Bearer nope")];
    assert_eq!(
        server
            .hook("alerts", "alertmanager", &wrong, ALERTMANAGER.as_bytes())
            .0,
        401
    );
    let gh_secret = env.grant_webhook("github-events", "github");
    let gh_bearer = format!("Bearer {gh_secret}");
    let (status, _) = server.hook(
        "github-events",
        "github",
        &[("Authorization", &gh_bearer)],
        b"{}",
    );
    assert_eq!(status, 401);
}

#[test]
fn github_events_posts_pushes_pull_requests_and_workflow_runs() {
    let env = Env::new();
    env.grant("github-events", &["post", "github"]);
    let secret = env.grant_webhook("github-events", "github");
    let server = env.serve();
    let send = |event: &str, delivery: &str, body: &str| {
        let signature = sign_github(secret.as_bytes(), body.as_bytes());
        let headers = [
            ("X-GitHub-Event", event),
            ("X-GitHub-Delivery", delivery),
            ("X-Hub-Signature-256", signature.as_str()),
        ];
        let (status, text) = server.hook("github-events", "github", &headers, body.as_bytes());
        assert_eq!(status, 202, "{event}: {text}");
    };
    send(
        "push",
        "d1",
        r#"{"ref": "refs/heads/main", "compare": "https://github.com/acme/api/compare/a...b",
            "repository": {"full_name": "acme/api"}, "sender": {"login": "alice"},
            "commits": [{"id": "0123456789abcdef", "message": "Fix the flux capacitor\n\nLong text", "author": {"name": "Alice"}},
                        {"id": "fedcba9876543210", "message": "Bump version", "author": {"name": "Bob"}}]}"#,
    );
    let push = post_containing(&server, "github", &["pushed 2 commits"]);
    assert_eq!(
        push,
        "📦 alice pushed 2 commits to acme/api main — https://github.com/acme/api/compare/a...b\n\
         • 0123456 Fix the flux capacitor (Alice)\n• fedcba9 Bump version (Bob)"
    );
    send(
        "pull_request",
        "d2",
        r#"{"action": "closed", "number": 12, "repository": {"full_name": "acme/api"}, "sender": {"login": "bob"},
            "pull_request": {"title": "Add retries", "html_url": "https://github.com/acme/api/pull/12", "merged": true}}"#,
    );
    let pr = post_containing(&server, "github", &["merged"]);
    assert_eq!(
        pr,
        "🔀 bob merged acme/api#12: Add retries — https://github.com/acme/api/pull/12"
    );
    // Not worth a post: acknowledged and ignored.
    send(
        "pull_request",
        "d3",
        r#"{"action": "labeled", "number": 12, "repository": {"full_name": "acme/api"}, "sender": {"login": "bob"},
            "pull_request": {"title": "Add retries", "html_url": "u", "merged": false}}"#,
    );
    send(
        "workflow_run",
        "d4",
        r#"{"action": "completed", "repository": {"full_name": "acme/api"}, "sender": {"login": "ci"},
            "workflow_run": {"name": "CI", "head_branch": "main", "conclusion": "failure", "run_number": 45,
                             "html_url": "https://github.com/acme/api/actions/runs/1"}}"#,
    );
    let run = post_containing(&server, "github", &["CI failed"]);
    assert_eq!(
        run,
        "❌ CI failed on main in acme/api (run #45) — https://github.com/acme/api/actions/runs/1"
    );
    assert_eq!(
        server.posts("github").len(),
        3,
        "{:?}",
        server.posts("github")
    );
    let recent = server.reply("!gh-events");
    assert!(
        recent.starts_with("❌ CI failed") && recent.contains("📦 alice pushed"),
        "{recent}"
    );
}

#[test]
fn uptime_posts_when_a_checked_url_changes_state() {
    let up = Arc::new(AtomicBool::new(true));
    let flag = up.clone();
    let upstream = FakeHttp::start(move |_, _| {
        if flag.load(Ordering::SeqCst) {
            Answer::status(200, "ok")
        } else {
            Answer::status(503, "down")
        }
    });
    let url = format!("http://127.0.0.1:{}/health", upstream.port());
    let env = Env::new();
    std::fs::write(
        env.data_dir().join("cove.toml"),
        format!("[plugins.uptime]\nurls = \"{url}\"\n"),
    )
    .unwrap();
    env.grant(
        "uptime",
        &["net", &format!("http://127.0.0.1:{}", upstream.port())],
    );
    env.grant("uptime", &["post", "alerts"]);
    env.grant("uptime", &["schedule", "* * * * * *"]);
    let server = env.serve();
    server.wait_for("the first check", || {
        server.reply("!uptime").contains("up: 200").then_some(())
    });
    assert!(
        server.posts("alerts").is_empty(),
        "an up URL is not announced"
    );
    up.store(false, Ordering::SeqCst);
    let down = post_containing(&server, "alerts", &["is DOWN"]);
    assert_eq!(
        down,
        format!("🔴 {url} is DOWN (down: 503 Service Unavailable)")
    );
    up.store(true, Ordering::SeqCst);
    let back = post_containing(&server, "alerts", &["is up again"]);
    assert_eq!(back, format!("🟢 {url} is up again (up: 200 OK)"));
    // One post per change, not per check.
    let checks = upstream.seen().len();
    server.wait_for("three more checks", || {
        (upstream.seen().len() >= checks + 3).then_some(())
    });
    assert_eq!(
        server.posts("alerts").len(),
        2,
        "{:?}",
        server.posts("alerts")
    );
}
