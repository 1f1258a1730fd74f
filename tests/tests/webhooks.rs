//! Inbound webhooks end to end: signatures, durability across a SIGKILL, retries and dead
//! letters, post grants. The `recorder` test plugin counts what reaches `handle-event`.

use cove::events::signature::{sign_cove, sign_github};
use cove_tests::events::cove_signature;
use cove_tests::{Env, Server, hostile};

/// A data directory with `recorder` installed, `webhook in` and `post ops` granted.
fn recorder_env(env: Env) -> (Env, String) {
    env.install(&hostile("recorder"));
    env.grant("recorder", &["post", "ops"]);
    let secret = env.grant_webhook("recorder", "in");
    (env, secret)
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn signature_matrix_only_lets_signed_fresh_requests_through() {
    let (env, secret) = recorder_env(Env::new().var("COVE_WEBHOOK_MAX_BYTES", "1024"));
    let server = env.serve();
    let good_body = b"id:good";
    let good_sig = cove_signature(&secret, good_body);
    let (status, body) = server.hook(
        "recorder",
        "in",
        &[("X-Cove-Signature", &good_sig)],
        good_body,
    );
    assert_eq!(status, 202, "{body}");
    assert!(body.contains("\"id\":"), "{body}");
    let gh_body = b"id:github";
    let gh_sig = sign_github(secret.as_bytes(), gh_body);
    let gh_headers = [
        ("X-Hub-Signature-256", gh_sig.as_str()),
        ("X-GitHub-Delivery", "d-1"),
    ];
    assert_eq!(server.hook("recorder", "in", &gh_headers, gh_body).0, 202);

    let stale_sig = sign_cove(secret.as_bytes(), unix_now() - 600, b"id:stale");
    let wrong_sig = cove_signature("not-the-secret", b"id:wrong");
    let oversized = [b"id:big:".as_slice(), &[b'x'; 2000]].concat();
    let big_sig = cove_signature(&secret, &oversized);
    let missing_sig = cove_signature(&secret, b"id:missing");
    /// What is sent (name, hook, headers, body) and what must come back (status, words).
    type Case<'a> = (
        &'a str,
        &'a str,
        Vec<(&'a str, &'a str)>,
        &'a [u8],
        u16,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        ("unsigned", "in", vec![], b"id:unsigned", 401, "not signed"),
        (
            "wrong secret",
            "in",
            vec![("X-Cove-Signature", &wrong_sig)],
            b"id:wrong",
            401,
            "does not match",
        ),
        (
            "body changed",
            "in",
            vec![("X-Cove-Signature", &good_sig)],
            b"id:changed",
            401,
            "does not match",
        ),
        (
            "stale",
            "in",
            vec![("X-Cove-Signature", &stale_sig)],
            b"id:stale",
            401,
            "away from the server's clock",
        ),
        (
            "malformed",
            "in",
            vec![("X-Cove-Signature", "v1=zz")],
            b"id:malformed",
            401,
            "malformed",
        ),
        (
            "replayed",
            "in",
            vec![("X-Cove-Signature", &good_sig)],
            good_body,
            409,
            "replay",
        ),
        (
            "github replayed",
            "in",
            gh_headers.to_vec(),
            gh_body,
            409,
            "replay",
        ),
        (
            "wrong hook",
            "nope",
            vec![("X-Cove-Signature", &missing_sig)],
            b"id:missing",
            404,
            "no webhook",
        ),
        (
            "oversized",
            "in",
            vec![("X-Cove-Signature", &big_sig)],
            &oversized,
            413,
            "",
        ),
    ];
    for (what, hook, headers, body, status, says) in cases {
        let (got, text) = server.hook("recorder", hook, &headers, body);
        assert_eq!(got, status, "{what}: {text}");
        assert!(text.contains(says), "{what}: {text:?} should say {says:?}");
    }
    let (status, _) = server.signed_hook("no-such-plugin", "in", &secret, b"id:x");
    assert_eq!(status, 404);

    // Only the two accepted requests reach the plugin, each once.
    server.wait_recorded("ev/", "2 keys, 2 deliveries");
    assert_eq!(server.reply("!recorded ev/ list"), "ev/github\nev/good");
    let (_, metrics) = cove_tests::http_request(server.addr, "GET", "/metrics", "");
    assert!(
        metrics.contains("cove_events_total{outcome=\"accepted\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("cove_events_total{outcome=\"refused\"} 9"),
        "{metrics}"
    );

    // Revoking the hook removes its secret: the same signed request is now unknown.
    let done = env.cove(&["revoke", "recorder", "webhook", "in"]);
    assert!(done.ok, "{done:?}");
    let fresh = cove_signature(&secret, b"id:after-revoke");
    let (status, _) = server.hook(
        "recorder",
        "in",
        &[("X-Cove-Signature", &fresh)],
        b"id:after-revoke",
    );
    assert_eq!(status, 404);
    // Granting again makes a new secret; the old one no longer verifies.
    let done = env.cove(&["grant", "recorder", "webhook", "in"]);
    let new_secret = cove_tests::events::secret_from(&done.stdout);
    assert_ne!(new_secret, secret);
    let old = cove_signature(&secret, b"id:old-secret");
    assert_eq!(
        server
            .hook(
                "recorder",
                "in",
                &[("X-Cove-Signature", &old)],
                b"id:old-secret"
            )
            .0,
        401
    );
    assert_eq!(
        server
            .signed_hook("recorder", "in", &new_secret, b"id:new")
            .0,
        202
    );
    server.wait_recorded("ev/", "3 keys, 3 deliveries");
}

#[test]
fn an_accepted_event_survives_sigkill_and_is_delivered_once() {
    let env = Env::new().var("COVE_EVENT_RETRY_MS", "600000");
    let config = env.data_dir().join("cove.toml");
    std::fs::write(&config, "[plugins.recorder]\nhold = \"yes\"\n").unwrap();
    let (env, secret) = recorder_env(env);
    let server = env.serve();
    let (status, body) = server.signed_hook("recorder", "in", &secret, b"id:durable");
    assert_eq!(status, 202, "{body}");
    // The plugin holds it (fails, next attempt in 10 minutes): it is in the queue when killed.
    server.wait_for("the first attempt to fail", || {
        let done = env.cove(&["events"]);
        done.stdout.contains("holding").then_some(())
    });
    server.kill();

    let listed = env.cove(&["events"]);
    assert!(
        listed.ok && listed.stdout.contains("recorder") && listed.stdout.contains("webhook in"),
        "{listed:?}"
    );
    std::fs::remove_file(&config).unwrap();
    let server: Server = env.serve();
    server.wait_recorded("ev/", "1 keys, 1 deliveries");
    server.wait_for("the queue to empty", || {
        env.cove(&["events"])
            .stdout
            .contains("No events are waiting")
            .then_some(())
    });
    assert_eq!(server.reply("!recorded ev/"), "1 keys, 1 deliveries");
}

#[test]
fn failing_and_trapping_deliveries_are_retried_then_dead_lettered() {
    let env = Env::new()
        .var("COVE_EVENT_RETRY_MS", "20")
        .var("COVE_EVENT_MAX_ATTEMPTS", "3");
    let (env, secret) = recorder_env(env);
    let server = env.serve();
    assert_eq!(
        server.signed_hook("recorder", "in", &secret, b"fail:a").0,
        202
    );
    assert_eq!(
        server.signed_hook("recorder", "in", &secret, b"trap:b").0,
        202
    );
    let failed = server.wait_for("two dead letters", || {
        let done = env.cove(&["events", "--failed"]);
        (done.stdout.matches("3 attempts").count() == 2).then_some(done.stdout)
    });
    assert!(failed.contains("failing on purpose, attempt 3"), "{failed}");
    assert!(
        failed.contains("crashed: panicked: trapping on purpose"),
        "{failed}"
    );
    assert_eq!(server.reply("!recorded fail/"), "1 keys, 3 deliveries");
    assert_eq!(server.reply("!recorded trap/"), "1 keys, 3 deliveries");
    assert_eq!(server.reply("!echo still here"), "still here");

    // A retry gives the event a fresh set of attempts (the first listed is `fail:a`, older).
    let id = failed
        .lines()
        .find(|l| l.contains("webhook in"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string();
    let retried = env.cove(&["events", "retry", &id]);
    assert!(
        retried.ok && retried.stdout.contains("queued for delivery again"),
        "{retried:?}"
    );
    server.wait_recorded("fail/", "1 keys, 6 deliveries");
    let unknown = env.cove(&["events", "retry", "999999"]);
    assert!(
        !unknown.ok && unknown.stderr.contains("no failed event with id 999999"),
        "{unknown:?}"
    );
    server.wait_for("the retried event to be dead again", || {
        let done = env.cove(&["events", "--failed"]);
        (done.stdout.matches("3 attempts").count() == 2).then_some(())
    });
    let (_, metrics) = cove_tests::http_request(server.addr, "GET", "/metrics", "");
    assert!(
        metrics.contains("cove_events_total{outcome=\"dead\"} 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("cove_events_total{outcome=\"retried\"} 6"),
        "{metrics}"
    );
    let (_, stderr) = server.stop();
    assert!(stderr.contains("event dead-lettered"), "{stderr}");

    // Without a server the CLI reads the store directly; the audit log has every attempt.
    let local = env.cove(&["events", "--failed"]);
    assert_eq!(local.stdout.matches("3 attempts").count(), 2, "{local:?}");
    let audit = env.cove(&["audit", "--plugin", "recorder", "--json"]);
    assert_eq!(
        audit.stdout.matches("\"action\":\"event\"").count(),
        9,
        "{}",
        audit.stdout
    );
}

#[test]
fn posts_need_a_grant_and_refusals_are_audited_and_logged() {
    let env = Env::new().var("COVE_EVENT_MAX_ATTEMPTS", "1");
    let (env, secret) = recorder_env(env);
    let server = env.serve();
    assert_eq!(
        server
            .signed_hook("recorder", "in", &secret, b"post:ops:deploy finished")
            .0,
        202
    );
    assert_eq!(
        server
            .signed_hook("recorder", "in", &secret, b"post:secret-room:leak")
            .0,
        202
    );
    server.wait_for("the post to #ops", || {
        server
            .posts("ops")
            .contains(&"deploy finished".to_string())
            .then_some(())
    });
    server.wait_for("the refused post to be dead-lettered", || {
        env.cove(&["events", "--failed"])
            .stdout
            .contains("secret-room")
            .then_some(())
    });
    assert!(server.posts("secret-room").is_empty());
    let (_, stderr) = server.stop();
    assert!(
        stderr.contains("Cove blocked the recorder plugin from trying to post to #secret-room: it was not granted that channel. An admin can allow it with `cove grant recorder post secret-room`."),
        "{stderr}"
    );
    let audit = env.cove(&["audit", "--plugin", "recorder"]);
    let denial = audit
        .stdout
        .lines()
        .find(|l| l.contains("deny"))
        .unwrap_or_else(|| panic!("no denial in {}", audit.stdout));
    assert!(
        denial.contains("webhook:in") && denial.contains("post to #secret-room"),
        "{denial}"
    );
}

#[test]
fn a_hook_granted_in_chat_shows_its_secret_only_to_the_admin() {
    let env = Env::new().var("COVE_ADMINS", "boss");
    env.install(&hostile("recorder"));
    let server = env.serve();
    let (status, body) = server.message("boss", "ops", "!cove grant recorder webhook in");
    assert_eq!(status, 200, "{body}");
    let reply = &body["replies"][0];
    assert_eq!(reply["ephemeral"], true, "{body}");
    let secret = cove_tests::events::secret_from(reply["text"].as_str().unwrap());
    assert_eq!(
        server.signed_hook("recorder", "in", &secret, b"id:chat").0,
        202
    );
    server.wait_recorded("ev/", "1 keys, 1 deliveries");
    // The default body limit is 1 MiB (the chat endpoint's 64 KiB does not apply here).
    let large = [b"id:large ".as_slice(), &vec![b'x'; 512 * 1024]].concat();
    assert_eq!(server.signed_hook("recorder", "in", &secret, &large).0, 202);
    let too_large = vec![b'x'; (1 << 20) + 1];
    assert_eq!(
        server.signed_hook("recorder", "in", &secret, &too_large).0,
        413
    );
    server.wait_recorded("ev/", "2 keys, 2 deliveries");
    // Other grants stay visible to the channel.
    let (_, body) = server.message("boss", "ops", "!cove grant recorder post ops");
    assert_eq!(body["replies"][0]["ephemeral"], false, "{body}");
}
