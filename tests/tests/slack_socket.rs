//! Slack over Socket Mode: `cove serve` opens a websocket to the fake Slack (the URL comes
//! from `apps.connections.open`), acknowledges every envelope, answers through the Web API,
//! reconnects when the socket drops, and installs `.wasm` files shared in direct messages.

use cove_tests::fake_slack::{FakeSlack, payload};
use cove_tests::{Env, hostile};

fn workspace() -> (FakeSlack, Env) {
    let fake = FakeSlack::start();
    fake.user("U1", "alice");
    fake.user("UADM", "root");
    fake.channel("C1", "general");
    fake.channel("CADM", "admins");
    let env = Env::new()
        .var("SLACK_BOT_TOKEN", "xoxb-test")
        .var("SLACK_APP_TOKEN", "xapp-test")
        .var("COVE_SLACK_API_URL", &fake.api_url());
    (fake, env)
}

/// Pushes `event` as an `events_api` envelope and waits for Cove's acknowledgement.
fn push(fake: &FakeSlack, event_id: &str, event: serde_json::Value) {
    let id = fake.envelope("events_api", payload::callback(event_id, event));
    fake.wait_for_ack(&id);
}

#[test]
fn socket_mode_acknowledges_answers_and_reconnects_after_a_drop() {
    let (fake, env) = workspace();
    let _server = env.serve();
    fake.wait_for_socket(1);
    let open = fake.wait_for("apps.connections.open", |c| {
        c.method == "apps.connections.open"
    });
    assert_eq!(open.auth.as_deref(), Some("Bearer xapp-test"));

    let url = fake.response_url("slash");
    let id = fake.envelope(
        "slash_commands",
        payload::command("U1", "C1", "echo via-socket", &url),
    );
    fake.wait_for_ack(&id);
    fake.wait_for("slash reply", |c| {
        c.method == "response" && c.text() == "via-socket"
    });

    let mention = payload::callback(
        "Ev1",
        payload::mention("U1", "C1", "echo mentioned", "5.1", Some("5.0")),
    );
    let first = fake.envelope("events_api", mention.clone());
    // Slack redelivers an envelope it did not see acknowledged: same event id, new envelope.
    let again = fake.envelope("events_api", mention);
    fake.wait_for_ack(&first);
    fake.wait_for_ack(&again);
    let reply = fake.wait_for("mention reply", |c| {
        c.method == "chat.postMessage" && c.text() == "mentioned"
    });
    assert_eq!(reply.args["thread_ts"], "5.0");

    // The network drops the socket: Cove opens a new one and keeps serving.
    fake.drop_socket();
    fake.wait_for_socket(2);
    assert!(fake.calls_of("apps.connections.open").len() >= 2);
    let line = "!echo after-reconnect";
    push(
        &fake,
        "Ev2",
        payload::message("U1", "C1", "channel", line, "5.2", None),
    );
    fake.wait_for("reply after reconnect", |c| {
        c.method == "chat.postMessage" && c.text() == "after-reconnect"
    });
    // Slack asks for a reconnect (before a server restart): Cove opens a new socket.
    let id = fake.envelope("disconnect", serde_json::json!({}));
    fake.wait_for_ack(&id);
    fake.wait_for_socket(3);
    let mentioned = fake
        .calls_of("chat.postMessage")
        .iter()
        .filter(|c| c.text() == "mentioned")
        .count();
    assert_eq!(mentioned, 1, "a redelivered event is handled once");
}

#[test]
fn a_wasm_shared_in_a_direct_message_is_installed_as_its_uploader() {
    let (fake, env) = workspace();
    let env = env
        .var("COVE_ADMINS", "UADM")
        .var("COVE_SLACK_ADMIN_CHANNEL", "admins");
    let _server = env.serve();
    fake.wait_for_socket(1);
    let share = |user: &str, file: &str, name: &str, ts: &str| {
        let event = payload::file_share(user, "D1", file, name, ts);
        push(&fake, &format!("Ev{ts}"), event);
    };

    // A non-admin's upload is installed but waits for approval.
    fake.file(
        "F1",
        "announcer.wasm",
        std::fs::read(hostile("announcer")).unwrap(),
    );
    share("U1", "F1", "announcer.wasm", "6.1");
    let reply = fake.wait_for_text("chat.postMessage", "Installed *announcer*");
    assert_eq!(reply.args["channel"], "D1");
    for expected in ["`!announce`", "post ops", "not an admin"] {
        assert!(reply.text().contains(expected), "{expected}: {reply:?}");
    }
    let download = fake.wait_for("download", |c| c.method == "file");
    assert_eq!(download.auth.as_deref(), Some("Bearer xoxb-test"));
    // The admin channel is asked, with an Approve button since the uploader is not an admin.
    let ask = fake.wait_for("admin request", |c| {
        c.method == "chat.postMessage" && c.args["channel"] == "CADM"
    });
    let blocks = ask.args["blocks"].to_string();
    assert!(
        blocks.contains("cove_approve") && blocks.contains("cove_grant"),
        "{blocks}"
    );

    // The admin approves from the admin channel (a button over the socket).
    let approve = ask.button_value("cove_approve");
    let url = fake.response_url("approve");
    let id = fake.envelope(
        "interactive",
        payload::button("UADM", "CADM", "cove_approve", &approve, &url),
    );
    fake.wait_for_ack(&id);
    fake.wait_for_text("response", "Approved announcer");

    // A broken file gets the installer's clear error, only for the uploader.
    fake.file("F2", "junk.wasm", b"this is not webassembly".to_vec());
    share("U1", "F2", "junk.wasm", "6.2");
    let refused = fake.wait_for_text("chat.postEphemeral", "Cannot install junk.wasm");
    assert!(refused.text().contains("not WebAssembly"), "{refused:?}");
    assert_eq!(refused.args["user"], "U1");
    fake.file("F3", "notes.txt", b"hello".to_vec());
    share("U1", "F3", "notes.txt", "6.3");
    fake.wait_for_text("chat.postEphemeral", "only `.wasm`");

    // An admin's upload is approved at once.
    fake.file(
        "F4",
        "danger.wasm",
        std::fs::read(hostile("danger")).unwrap(),
    );
    share("UADM", "F4", "danger.wasm", "6.4");
    let reply = fake.wait_for_text("chat.postMessage", "Installed *danger*");
    assert!(!reply.text().contains("not an admin"), "{reply:?}");
    // The installed plugin answers at once.
    push(
        &fake,
        "Ev7",
        payload::message("UADM", "D1", "im", "nuke lab", "6.5", None),
    );
    fake.wait_for_text("chat.postEphemeral", "nuke lab");
}
