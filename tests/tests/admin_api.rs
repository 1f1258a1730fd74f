//! The admin HTTP API: token required on every call, uploads with clear errors, grants,
//! plugin info with requested vs granted, audit.

use cove_tests::{Env, first_party, hostile};

#[test]
fn every_call_needs_the_token() {
    let env = Env::new();
    let server = env.serve();
    let token = std::fs::read_to_string(env.data_dir().join("admin.token")).expect("token file");
    for (method, path) in [
        ("GET", "/api/v1/plugins"),
        ("POST", "/api/v1/plugins"),
        ("GET", "/api/v1/audit"),
    ] {
        let (status, body) = server.api(method, path, None, "application/json", b"");
        assert_eq!(status, 401, "{method} {path}: {body}");
        let (status, _) = server.api(method, path, Some("wrong-token"), "application/json", b"");
        assert_eq!(status, 401, "{method} {path} with a wrong token");
    }
    let (status, body) = server.api(
        "GET",
        "/api/v1/plugins",
        Some(token.trim()),
        "application/json",
        b"",
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"name\":\"echo\""), "{body}");
    // The chat endpoint stays open, as before.
    assert_eq!(server.reply("!echo still-open"), "still-open");
}

#[test]
fn uploads_grants_info_and_audit() {
    let env = Env::new()
        .var("COVE_ADMIN_TOKEN", "test-token-123")
        .var("COVE_MAX_PLUGIN_BYTES", "1000000");
    let server = env.serve();
    let token = Some("test-token-123");
    let (status, body) = server.api(
        "POST",
        "/api/v1/plugins",
        token,
        "application/wasm",
        b"not wasm at all",
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("the file is not WebAssembly"), "{body}");
    let (status, _) = server.api("POST", "/api/v1/plugins", token, "text/plain", b"x");
    assert_eq!(status, 415);
    let big = vec![0u8; 1_200_000];
    let (status, _) = server.api("POST", "/api/v1/plugins", token, "application/wasm", &big);
    assert_eq!(status, 413, "an upload over the limit is refused");

    let wasm = std::fs::read(hostile("netprobe")).unwrap();
    let (status, body) = server.api("POST", "/api/v1/plugins", token, "application/wasm", &wasm);
    assert_eq!(status, 201, "{body}");
    assert!(body.contains("\"name\":\"netprobe\""), "{body}");
    assert!(
        server.reply("!secret PROBE_TOKEN").contains("denied="),
        "the new plugin serves at once"
    );

    let grant = br#"{"grant": "net http://127.0.0.1:9"}"#;
    let (status, body) = server.api(
        "POST",
        "/api/v1/plugins/netprobe/grants",
        token,
        "application/json",
        grant,
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = server.api(
        "GET",
        "/api/v1/plugins/netprobe",
        token,
        "application/json",
        b"",
    );
    assert_eq!(status, 200, "{body}");
    let info: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(info["permissions"]["granted"][0], "net http://127.0.0.1:9");
    assert!(
        info["permissions"]["requested"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "secret PROBE_TOKEN"),
        "{body}"
    );
    let (status, _) = server.api(
        "DELETE",
        "/api/v1/plugins/netprobe/grants",
        token,
        "application/json",
        grant,
    );
    assert_eq!(status, 200);
    let (status, body) = server.api(
        "POST",
        "/api/v1/plugins/netprobe/grants",
        token,
        "application/json",
        br#"{"grant": "net *"}"#,
    );
    assert_eq!(status, 400, "{body}");

    let (status, body) = server.api(
        "GET",
        "/api/v1/audit?plugin=netprobe",
        token,
        "application/json",
        b"",
    );
    assert_eq!(status, 200, "{body}");
    for action in ["\"install\"", "\"grant\"", "\"revoke\""] {
        assert!(body.contains(action), "{action} missing from {body}");
    }
    let (status, _) = server.api(
        "GET",
        "/api/v1/plugins/nope",
        token,
        "application/json",
        b"",
    );
    assert_eq!(status, 404);
    let _ = first_party("echo");
}

#[test]
fn cli_admin_commands_reach_a_running_server_through_the_api() {
    let env = Env::new();
    let server = env.serve();
    let installed = env.cove(&[
        "plugin",
        "install",
        &hostile("netprobe").display().to_string(),
    ]);
    assert!(
        installed.ok && installed.stdout.contains("Installed netprobe"),
        "{installed:?}"
    );
    let list = env.cove(&["plugin", "list"]);
    assert!(list.ok && list.stdout.contains("netprobe"), "{list:?}");
    let granted = env.cove(&["grant", "netprobe", "secret", "PROBE_TOKEN"]);
    assert!(
        granted.ok && granted.stdout.contains("Granted netprobe"),
        "{granted:?}"
    );
    assert!(
        server
            .reply("!secret PROBE_TOKEN")
            .contains("no secret by that name is set"),
        "the grant is in force at once"
    );
    let revoked = env.cove(&["revoke", "netprobe", "secret", "PROBE_TOKEN"]);
    assert!(revoked.ok, "{revoked:?}");
    let bad = env.cove(&["grant", "netprobe", "net", "*"]);
    assert!(!bad.ok && bad.stderr.contains("HTTP 400"), "{bad:?}");
    // Commands that need the store itself still say why they cannot run.
    let run = env.run("!echo hi");
    assert!(
        !run.ok && run.stderr.contains("in use by another cove process"),
        "{run:?}"
    );
}

#[test]
fn secrets_rules_and_plugin_lifecycle_over_the_api() {
    let env = Env::new().var("COVE_ADMIN_TOKEN", "t0ken");
    let server = env.serve();
    let token = Some("t0ken");
    let json = "application/json";
    let (status, body) = server.api(
        "PUT",
        "/api/v1/secrets/API_TOKEN",
        token,
        "text/plain",
        b"value-from-api",
    );
    assert_eq!(status, 200, "{body}");
    let (_, body) = server.api("GET", "/api/v1/secrets", token, json, b"");
    assert!(
        body.contains("API_TOKEN") && !body.contains("value-from-api"),
        "{body}"
    );
    let (status, _) = server.api("PUT", "/api/v1/secrets/bad-name", token, "text/plain", b"x");
    assert_eq!(status, 400);
    let (status, _) = server.api("DELETE", "/api/v1/secrets/API_TOKEN", token, json, b"");
    assert_eq!(status, 200);

    let rule = br#"{"rule": "deny echo user:u1"}"#;
    let (status, body) = server.api("POST", "/api/v1/acl", token, json, rule);
    assert_eq!(status, 200, "{body}");
    assert!(
        server.reply("!echo hi").starts_with("denied: "),
        "the rule is in force at once"
    );
    let (_, body) = server.api("GET", "/api/v1/acl", token, json, b"");
    assert!(body.contains("deny echo user:u1"), "{body}");
    let (status, _) = server.api("DELETE", "/api/v1/acl", token, json, rule);
    assert_eq!(status, 200);
    assert_eq!(server.reply("!echo hi"), "hi");
    let (status, _) = server.api("POST", "/api/v1/acl", token, json, br#"{"rule": "allow"}"#);
    assert_eq!(status, 400);

    let wasm = std::fs::read(hostile("echo2")).unwrap();
    let (status, _) = server.api("POST", "/api/v1/plugins", token, "application/wasm", &wasm);
    assert_eq!(status, 201);
    assert_eq!(server.reply("!echo v2"), "echo2: v2");
    let (status, _) = server.api("POST", "/api/v1/plugins/echo/rollback", token, json, b"");
    assert_eq!(status, 200);
    assert_eq!(server.reply("!echo v1"), "v1");
    let (status, _) = server.api("POST", "/api/v1/plugins/echo/approve", token, json, b"");
    assert_eq!(status, 200);
    let (status, _) = server.api("DELETE", "/api/v1/plugins/echo", token, json, b"");
    assert_eq!(status, 200);
    assert!(server.reply("!echo gone").contains("Unknown command"));
    let (_, audit) = server.api("GET", "/api/v1/audit", token, json, b"");
    for action in [
        "secret.set",
        "secret.remove",
        "\"acl\"",
        "rollback",
        "approve",
        "remove",
    ] {
        assert!(audit.contains(action), "{action} missing from the audit");
    }
}
