//! Slack over the Events API: `cove serve` against a fake Slack on 127.0.0.1. Requests are
//! built and signed like Slack's (JSON events, form-encoded slash commands, a `payload=` form
//! field for buttons); replies are read from the Web API calls the fake recorded.

use cove::chat::slack::signature::sign;
use cove_tests::fake_slack::{Call, FakeSlack, payload};
use cove_tests::{Env, Server, hostile, http_with_headers};
use serde_json::{Value, json};

const SECRET: &str = "fake-signing-secret";
const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// A fake workspace and an environment pointing Cove at it in Events API mode.
fn workspace() -> (FakeSlack, Env) {
    let fake = FakeSlack::start();
    for (id, name) in [
        ("U1", "alice"),
        ("U2", "bob"),
        ("UMAL", "mallory"),
        ("UADM", "root"),
    ] {
        fake.user(id, name);
    }
    for (id, name) in [("C1", "general"), ("C9", "runbooks"), ("COPS", "ops")] {
        fake.channel(id, name);
    }
    fake.channel("CADM", "admins");
    fake.group("oncall", &["U2"]);
    let env = Env::new()
        .var("SLACK_BOT_TOKEN", "xoxb-test")
        .var("SLACK_SIGNING_SECRET", SECRET)
        .var("COVE_SLACK_MODE", "events")
        .var("COVE_SLACK_API_URL", &fake.api_url());
    (fake, env)
}

/// POSTs `body` to `path` signed with `secret` at `ts`, plus `extra` headers.
fn send(
    server: &Server,
    path: &str,
    content_type: &str,
    body: &str,
    signature: Option<(&str, i64)>,
    extra: &[(&str, &str)],
) -> (u16, String) {
    let mut headers: Vec<(&str, &str)> = extra.to_vec();
    let (sig, ts);
    if let Some((secret, at)) = signature {
        ts = at.to_string();
        sig = sign(secret, &ts, body.as_bytes());
        headers.push(("X-Slack-Signature", &sig));
        headers.push(("X-Slack-Request-Timestamp", &ts));
    }
    http_with_headers(
        server.addr,
        "POST",
        path,
        &headers,
        content_type,
        body.as_bytes(),
    )
}

/// POSTs `body` to `path` with a fresh, valid signature.
fn signed(server: &Server, path: &str, content_type: &str, body: &str) -> (u16, String) {
    send(server, path, content_type, body, Some((SECRET, now())), &[])
}

fn event(server: &Server, event_id: &str, event: Value) -> u16 {
    let body = payload::callback(event_id, event).to_string();
    signed(server, "/slack/events", JSON, &body).0
}

/// A channel message from `user` (no thread).
fn say(server: &Server, event_id: &str, user: &str, channel: &str, text: &str, ts: &str) -> u16 {
    event(
        server,
        event_id,
        payload::message(user, channel, "channel", text, ts, None),
    )
}

fn command(server: &Server, fake: &FakeSlack, user: &str, text: &str, reply_to: &str) -> u16 {
    let fields = payload::command(user, "C1", text, &fake.response_url(reply_to));
    let body = payload::form(&fields);
    signed(server, "/slack/commands", FORM, &body).0
}

fn click(server: &Server, fake: &FakeSlack, user: &str, action: &str, value: &str, reply_to: &str) {
    let click = payload::button(user, "C1", action, value, &fake.response_url(reply_to));
    let body = payload::interactivity_form(&click);
    let (status, text) = signed(server, "/slack/interactivity", FORM, &body);
    assert_eq!(status, 200, "{text}");
}

/// The texts of every `chat.postMessage`, after a moment for stragglers: events run
/// concurrently, so something wrongly accepted before a probe may still be on its way.
fn settled_posts(fake: &FakeSlack) -> Vec<String> {
    std::thread::sleep(std::time::Duration::from_millis(500));
    fake.calls_of("chat.postMessage")
        .iter()
        .map(|c| c.text().to_string())
        .collect()
}

fn posted(fake: &FakeSlack, what: &str) -> Call {
    fake.wait_for(&format!("chat.postMessage {what:?}"), |c| {
        c.method == "chat.postMessage" && c.text() == what
    })
}

#[test]
fn every_endpoint_refuses_missing_bad_and_stale_signatures() {
    let (fake, env) = workspace();
    let server = env.serve();
    let mention = payload::callback(
        "EvLeak",
        payload::mention("U1", "C1", "echo leaked", "1.1", None),
    );
    let bodies = [
        ("/slack/events", JSON, mention.to_string()),
        (
            "/slack/commands",
            FORM,
            payload::form(&payload::command(
                "U1",
                "C1",
                "echo leaked",
                &fake.response_url("leak"),
            )),
        ),
        (
            "/slack/interactivity",
            FORM,
            payload::interactivity_form(&payload::button(
                "U1",
                "C1",
                "cove_confirm",
                "1",
                &fake.response_url("leak"),
            )),
        ),
    ];
    for (path, content_type, body) in &bodies {
        let cases: [(&str, Option<(&str, i64)>); 4] = [
            ("unsigned", None),
            (
                "signed with another secret",
                Some(("not-the-secret", now())),
            ),
            ("signed six minutes ago", Some((SECRET, now() - 360))),
            ("signed six minutes ahead", Some((SECRET, now() + 360))),
        ];
        for (what, signature) in cases {
            let (status, answer) = send(&server, path, content_type, body, signature, &[]);
            assert_eq!(status, 401, "{path} {what}: {answer}");
        }
        // A valid signature over a different body does not carry over.
        let ts = now().to_string();
        let sig = sign(SECRET, &ts, b"something else");
        let headers = [
            ("X-Slack-Signature", sig.as_str()),
            ("X-Slack-Request-Timestamp", ts.as_str()),
        ];
        let (status, _) = send(&server, path, content_type, body, None, &headers);
        assert_eq!(status, 401, "{path} with a tampered body");
    }
    // URL verification answers the challenge, only when signed.
    let challenge =
        json!({ "token": "legacy", "challenge": "c-123", "type": "url_verification" }).to_string();
    let (status, _) = send(&server, "/slack/events", JSON, &challenge, None, &[]);
    assert_eq!(status, 401);
    let (status, answer) = signed(&server, "/slack/events", JSON, &challenge);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        serde_json::from_str::<Value>(&answer).unwrap()["challenge"],
        "c-123"
    );
    // A signed request afterwards is served; nothing refused before it ran.
    assert_eq!(
        event(
            &server,
            "EvProbe",
            payload::mention("U1", "C1", "echo probe", "1.2", None)
        ),
        200
    );
    posted(&fake, "probe");
    assert!(
        !fake
            .calls()
            .iter()
            .any(|c| c.args.to_string().contains("leaked")),
        "{:#?}",
        fake.calls()
    );
}

#[test]
fn every_trigger_reaches_the_plugin_once_and_replies_where_it_was_asked() {
    let (fake, env) = workspace();
    let server = env.serve();
    // Slash command: acknowledged at once, answered through response_url in the channel.
    assert_eq!(command(&server, &fake, "U1", "echo hi there", "slash"), 200);
    let reply = fake.wait_for("slash reply", |c| {
        c.method == "response" && c.text() == "hi there"
    });
    assert_eq!(reply.args["response_type"], "in_channel");
    assert!(
        reply.auth.is_none(),
        "the bot token must not go to a response_url"
    );
    // `/cove` alone is help.
    assert_eq!(command(&server, &fake, "U1", "", "help"), 200);
    fake.wait_for_text("response", "echo");
    // Mention, prefix message and direct message.
    assert_eq!(
        event(
            &server,
            "Ev1",
            payload::mention("U1", "C1", "echo hello", "10.1", None)
        ),
        200
    );
    let reply = posted(&fake, "hello");
    assert_eq!(reply.args["channel"], "C1");
    assert!(reply.args.get("thread_ts").is_none(), "{:?}", reply.args);
    say(&server, "Ev2", "U1", "C1", "!echo prefixed", "10.2");
    posted(&fake, "prefixed");
    event(
        &server,
        "Ev3",
        payload::message("U1", "D1", "im", "echo direct", "10.3", None),
    );
    assert_eq!(posted(&fake, "direct").args["channel"], "D1");
    // In a thread: the reply stays in it.
    event(
        &server,
        "Ev4",
        payload::message("U1", "C1", "channel", "!echo threaded", "10.4", Some("9.9")),
    );
    assert_eq!(posted(&fake, "threaded").args["thread_ts"], "9.9");
    event(
        &server,
        "Ev5",
        payload::mention("U1", "C1", "echo in-thread", "10.5", Some("9.8")),
    );
    assert_eq!(posted(&fake, "in-thread").args["thread_ts"], "9.8");
    // Ignored: a bot (Cove's own reply included), a channel message without the prefix.
    event(
        &server,
        "Ev6",
        payload::bot_message("C1", "!echo from-bot", "10.6"),
    );
    say(&server, "Ev7", "U1", "C1", "echo no-prefix", "10.7");
    // Slack retries an event it thinks was lost: same event id, handled once.
    let retried = payload::message("U1", "C1", "channel", "!echo once", "10.8", None);
    event(&server, "Ev8", retried.clone());
    let body = payload::callback("Ev8", retried).to_string();
    let retry = [
        ("X-Slack-Retry-Num", "1"),
        ("X-Slack-Retry-Reason", "http_timeout"),
    ];
    assert_eq!(
        send(
            &server,
            "/slack/events",
            JSON,
            &body,
            Some((SECRET, now())),
            &retry
        )
        .0,
        200
    );
    posted(&fake, "once");
    // Events are handled in order of arrival per connection only loosely: a last probe
    // plus a moment lets anything wrongly accepted show up before counting.
    say(&server, "Ev9", "U1", "C1", "!echo probe", "10.9");
    posted(&fake, "probe");
    let texts = settled_posts(&fake);
    assert_eq!(
        texts.iter().filter(|t| *t == "once").count(),
        1,
        "{texts:?}"
    );
    // A prefixed message that also mentions Cove arrives twice (message and app_mention)
    // and runs once.
    let (line, ts) = ("!echo twice <@UCOVE>", "11.1");
    say(&server, "Ev10", "U1", "C1", line, ts);
    let mut mention = payload::mention("U1", "C1", "", ts, None);
    mention["text"] = json!(line);
    event(&server, "Ev11", mention);
    say(&server, "Ev12", "U1", "C1", "!echo probe2", "11.2");
    posted(&fake, "probe2");
    let texts = settled_posts(&fake);
    assert_eq!(
        texts.iter().filter(|t| t.starts_with("twice")).count(),
        1,
        "{texts:?}"
    );
    // Names are looked up once and cached.
    let lookups = fake.calls_of("users.info");
    assert_eq!(
        lookups.iter().filter(|c| c.args["user"] == "U1").count(),
        1,
        "{lookups:?}"
    );
    for never in ["from-bot", "no-prefix"] {
        assert!(
            !texts.iter().any(|t| t.contains(never)),
            "{never}: {texts:?}"
        );
    }
}

#[test]
fn errors_and_denials_are_ephemeral_and_long_output_goes_to_a_thread_in_pieces() {
    let (fake, env) = workspace();
    // Rules name Slack users by display name and id, roles by user group, channels by name.
    for rule in [
        vec!["acl", "default", "deny"],
        vec!["acl", "allow", "echo", "role:oncall"],
        vec!["acl", "allow", "echo", "channel:#runbooks"],
        vec!["acl", "allow", "echo", "user:alice"],
        vec!["acl", "deny", "echo", "user:UMAL"],
    ] {
        assert!(env.cove(&rule).ok, "{rule:?}");
    }
    let server = env.serve();
    say(&server, "E1", "UMAL", "C9", "!echo sneaky", "20.1");
    let denial = fake.wait_for("denial", |c| c.method == "chat.postEphemeral");
    assert_eq!(denial.args["user"], "UMAL");
    assert!(denial.text().starts_with("denied"), "{denial:?}");
    // bob is in the oncall group; anyone may in #runbooks; alice by name.
    say(&server, "E2", "U2", "C1", "!echo by-group", "20.2");
    posted(&fake, "by-group");
    say(&server, "E3", "UADM", "C9", "!echo by-channel", "20.3");
    posted(&fake, "by-channel");
    say(&server, "E4", "U1", "C1", "!echo by-name", "20.4");
    posted(&fake, "by-name");
    // Unknown commands answer the invoker only; a slash command's errors go to its response_url.
    say(&server, "E5", "U1", "C1", "!nosuch", "20.5");
    fake.wait_for("unknown command", |c| {
        c.method == "chat.postEphemeral"
            && c.text().contains("Unknown command")
            && c.args["user"] == "U1"
    });
    command(&server, &fake, "UMAL", "echo nope", "denied");
    let reply = fake.wait_for_text("response", "denied");
    assert_eq!(reply.args["response_type"], "ephemeral");
    // Long output: in a thread under the command, split at Slack's limit, Markdown as mrkdwn.
    let long: Vec<String> = (0..900).map(|i| format!("w{i:04}")).collect();
    let line = format!("!echo **bold** {}", long.join(" "));
    event(
        &server,
        "E6",
        payload::message("U1", "C1", "channel", &line, "20.6", None),
    );
    let first = fake.wait_for_text("chat.postMessage", "*bold* w0000");
    assert_eq!(first.args["thread_ts"], "20.6");
    let last = fake.wait_for("last piece", |c| {
        c.method == "chat.postMessage" && c.text().ends_with("w0899")
    });
    assert_eq!(last.args["thread_ts"], "20.6");
    let pieces: Vec<Call> = fake
        .calls_of("chat.postMessage")
        .into_iter()
        .filter(|c| c.args["thread_ts"] == "20.6")
        .collect();
    assert!(pieces.len() >= 2, "{pieces:#?}");
    assert!(pieces.iter().all(|c| c.text().chars().count() <= 3_500));
    // A long answer to a slash command starts its own thread in the channel.
    command(
        &server,
        &fake,
        "U1",
        &format!("echo {}", long.join(" ")),
        "long",
    );
    let first = fake.wait_for("slash long reply", |c| {
        c.method == "chat.postMessage"
            && c.text().starts_with("w0000")
            && c.args["thread_ts"].is_null()
    });
    assert_eq!(first.args["channel"], "C1");
    let first_ts = fake.ts_of("w0000").expect("the first piece's ts");
    fake.wait_for("slash long rest", |c| {
        c.method == "chat.postMessage"
            && c.text().ends_with("w0899")
            && c.args["thread_ts"] == first_ts.as_str()
    });
}

#[test]
fn confirm_buttons_run_a_dangerous_command_only_for_its_invoker() {
    let (fake, env) = workspace();
    env.install(&hostile("danger"));
    let server = env.serve();
    say(&server, "D1", "U1", "C1", "!nuke prod", "30.1");
    let prompt = fake.wait_for("prompt", |c| c.method == "chat.postEphemeral");
    assert_eq!(prompt.args["user"], "U1");
    let code = prompt.button_value("cove_confirm");
    assert_eq!(prompt.button_value("cove_cancel"), code);
    // Someone else's click is refused and runs nothing.
    click(&server, &fake, "U2", "cove_confirm", &code, "bob-click");
    let refused = fake.wait_for("refusal", |c| c.method == "response");
    assert_eq!(refused.args["response_type"], "ephemeral");
    assert!(!refused.text().contains("nuked"), "{refused:?}");
    // The invoker's click runs it.
    click(&server, &fake, "U1", "cove_confirm", &code, "alice-click");
    let done = fake.wait_for("nuked", |c| {
        c.method == "response" && c.text() == "nuked prod"
    });
    assert_eq!(done.args["response_type"], "in_channel");
    // Cancel withdraws a pending command; confirming it afterwards does nothing.
    say(&server, "D2", "U1", "C1", "!nuke staging", "30.2");
    let prompt = fake.wait_for_text("chat.postEphemeral", "nuke staging");
    let code = prompt.button_value("cove_cancel");
    click(&server, &fake, "U1", "cove_cancel", &code, "cancel");
    fake.wait_for_text("response", "Cancelled");
    click(&server, &fake, "U1", "cove_confirm", &code, "late");
    fake.wait_for_text("response", "No command is waiting");
    assert!(!fake.calls().iter().any(|c| c.text() == "nuked staging"));
}

#[test]
fn admins_grant_requested_permissions_from_the_admin_channel_and_posts_reach_slack() {
    let (fake, env) = workspace();
    let env = env
        .var("COVE_ADMINS", "UADM")
        .var("COVE_SLACK_ADMIN_CHANNEL", "admins")
        .var("COVE_ADMIN_TOKEN", "admin-token");
    let server = env.serve();
    let wasm = std::fs::read(hostile("announcer")).unwrap();
    let (status, answer) = server.api(
        "POST",
        "/api/v1/plugins",
        Some("admin-token"),
        "application/wasm",
        &wasm,
    );
    assert_eq!(status, 201, "{answer}");
    let ask = fake.wait_for("admin request", |c| {
        c.method == "chat.postMessage" && c.args["channel"] == "CADM"
    });
    assert!(
        ask.text().contains("announcer") && ask.text().contains("post ops"),
        "{ask:?}"
    );
    let grant = ask.button_value("cove_grant");
    // Before the grant, the plugin's post is refused.
    event(
        &server,
        "P1",
        payload::message(
            "U1",
            "C1",
            "channel",
            "!announce ops too early",
            "40.1",
            None,
        ),
    );
    fake.wait_for_text("chat.postEphemeral", "post");
    // A non-admin's click changes nothing.
    click(&server, &fake, "U1", "cove_grant", &grant, "not-admin");
    fake.wait_for_text("response", "Only Cove admins");
    // The admin's click grants, audited, effective on the next call.
    click(&server, &fake, "UADM", "cove_grant", &grant, "admin");
    fake.wait_for_text("response", "Granted announcer");
    event(
        &server,
        "P2",
        payload::message(
            "U1",
            "C1",
            "channel",
            "!announce ops deploy **done**",
            "40.2",
            None,
        ),
    );
    let post = fake.wait_for("post", |c| {
        c.method == "chat.postMessage" && c.text() == "deploy *done*"
    });
    assert_eq!(
        post.args["channel"], "COPS",
        "channel names are resolved to ids"
    );
    // Deny leaves a request ungranted and records the decision.
    let deny = json!({ "plugin": "announcer", "grant": "post releases" }).to_string();
    click(&server, &fake, "UADM", "cove_deny", &deny, "deny");
    fake.wait_for_text("response", "Denied announcer");
    let (_, audit) = server.api("GET", "/api/v1/audit", Some("admin-token"), JSON, b"");
    assert!(
        audit.contains("UADM") && audit.contains("post ops") && audit.contains("deny-request"),
        "{audit}"
    );
    say(&server, "P3", "U1", "C1", "!announce releases nope", "40.3");
    fake.wait_for_text("chat.postEphemeral", "releases");
}
