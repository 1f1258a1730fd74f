//! The admin HTTP API: token required on every call, uploads (raw and multipart) with clear
//! errors, grants, plugin info with requested vs granted, secrets, rules, admins, audit paging,
//! the OpenAPI document, and the CLI reaching all of it when a server holds the store.

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
    assert_eq!(info["granted"][0], "net http://127.0.0.1:9");
    assert!(
        info["requested"]
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

/// A multipart/form-data body with one file field.
fn multipart(field: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "cove-test-boundary-7d1";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"p.wasm\"\r\n\
         Content-Type: application/wasm\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[test]
fn multipart_uploads_install_or_explain() {
    let env = Env::new()
        .var("COVE_ADMIN_TOKEN", "tok")
        .var("COVE_MAX_PLUGIN_BYTES", "1000000");
    let server = env.serve();
    let token = Some("tok");
    let (content_type, body) = multipart("file", &std::fs::read(hostile("netprobe")).unwrap());
    let (status, answer) = server.api("POST", "/api/v1/plugins", token, &content_type, &body);
    assert_eq!(status, 201, "{answer}");
    let installed: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(installed["name"], "netprobe");
    assert!(
        installed["requested"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "secret PROBE_TOKEN")
    );

    let (content_type, body) = multipart("file", b"\0asm but broken");
    let (status, answer) = server.api("POST", "/api/v1/plugins", token, &content_type, &body);
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("cannot install the upload"), "{answer}");

    let (content_type, body) = multipart("file", &vec![0u8; 1_200_000]);
    let (status, _) = server.api("POST", "/api/v1/plugins", token, &content_type, &body);
    assert_eq!(status, 413, "a multipart upload over the limit is refused");

    let (content_type, body) = multipart("notes", b"text");
    let (content_type, body) = (
        content_type,
        String::from_utf8(body)
            .unwrap()
            .replace("; filename=\"p.wasm\"", ""),
    );
    let (status, answer) = server.api(
        "POST",
        "/api/v1/plugins",
        token,
        &content_type,
        body.as_bytes(),
    );
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("no `file` field"), "{answer}");

    // A non-admin's upload (`?as=`) waits for approval.
    let wasm = std::fs::read(hostile("echo2")).unwrap();
    let (status, answer) = server.api(
        "POST",
        "/api/v1/plugins?as=mallory",
        token,
        "application/wasm",
        &wasm,
    );
    assert_eq!(status, 201, "{answer}");
    assert!(
        answer.contains("\"approved\":false") && answer.contains("\"uploaded_by\":\"mallory\""),
        "{answer}"
    );
}

#[test]
fn admins_default_audit_paging_and_openapi() {
    let env = Env::new()
        .var("COVE_ADMIN_TOKEN", "tok")
        .var("COVE_ADMINS", "root");
    let server = env.serve();
    let (token, json) = (Some("tok"), "application/json");

    let (status, body) = server.api(
        "POST",
        "/api/v1/admins",
        token,
        json,
        br#"{"user": "alice"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let (_, body) = server.api("GET", "/api/v1/admins", token, json, b"");
    let admins: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(admins["admins"], serde_json::json!(["alice", "root"]));
    assert_eq!(admins["configured"], serde_json::json!(["root"]));
    let as_alice = server.texts("alice", "!cove grants echo");
    assert!(
        as_alice.contains("echo: permissions"),
        "an added admin is one at once: {as_alice}"
    );
    let (status, body) = server.api("DELETE", "/api/v1/admins/root", token, json, b"");
    assert_eq!(status, 400, "configured admins stay: {body}");
    let (status, _) = server.api("DELETE", "/api/v1/admins/alice", token, json, b"");
    assert_eq!(status, 200);
    let (status, _) = server.api(
        "POST",
        "/api/v1/admins",
        token,
        json,
        br#"{"user": "two words"}"#,
    );
    assert_eq!(status, 400);

    for (effect, want) in [("deny", 200), ("maybe", 400), ("allow", 200)] {
        let body = format!(r#"{{"default": "{effect}"}}"#);
        let (status, answer) =
            server.api("PUT", "/api/v1/acl/default", token, json, body.as_bytes());
        assert_eq!(status, want, "{effect}: {answer}");
        if effect == "deny" {
            let reply = server.reply("!echo hi");
            assert!(
                reply.starts_with("denied: "),
                "the default is in force at once: {reply}"
            );
        }
    }

    // Every call is audited, refused ones included; pages walk back without overlap.
    let _ = server.api("GET", "/api/v1/secrets", Some("wrong"), json, b"");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (_, body) = server.api("GET", "/api/v1/audit?action=api&limit=3", token, json, b"");
    let first: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(first["records"].as_array().unwrap().len(), 3, "{body}");
    let before = first["next_before"].as_u64().expect("a next page");
    let (_, body) = server.api(
        "GET",
        &format!("/api/v1/audit?action=api&limit=100&before={before}"),
        token,
        json,
        b"",
    );
    let older: serde_json::Value = serde_json::from_str(&body).unwrap();
    let seqs: Vec<u64> = older["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["seq"].as_u64().unwrap())
        .collect();
    assert!(
        !seqs.is_empty() && seqs.iter().all(|s| *s < before),
        "{seqs:?} not before {before}"
    );
    let (_, body) = server.api(
        "GET",
        "/api/v1/audit?action=api&outcome=unauthorized",
        token,
        json,
        b"",
    );
    assert!(
        body.contains("GET /api/v1/secrets"),
        "the refused call is audited: {body}"
    );
    let (_, body) = server.api("GET", "/api/v1/audit/verify", token, json, b"");
    assert!(body.contains("\"intact\":true"), "{body}");

    let (status, body) = server.api("GET", "/api/v1/openapi.json", None, json, b"");
    assert_eq!(status, 200);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/plugins",
        "/api/v1/admins",
        "/api/v1/audit",
        "/api/v1/acl/default",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
}

#[test]
fn the_cli_prints_the_same_with_or_without_a_server() {
    let env = Env::new().var("COVE_ADMIN_TOKEN", "tok");
    let netprobe = hostile("netprobe").display().to_string();
    let secret_value = "s3cr3t-value";
    let steps: Vec<(Vec<&str>, Option<&str>)> = vec![
        (vec!["plugin", "install", &netprobe], None),
        (vec!["grant", "netprobe", "secret", "PROBE_TOKEN"], None),
        (vec!["secret", "set", "PROBE_TOKEN"], Some(secret_value)),
        (vec!["secret", "list"], None),
        (vec!["grants", "netprobe"], None),
        (vec!["plugin", "list"], None),
        (vec!["acl", "deny", "echo", "user:u9"], None),
        (vec!["acl", "list"], None),
        (vec!["admin", "add", "alice"], None),
        (vec!["admin", "list"], None),
        (vec!["revoke", "netprobe", "secret", "PROBE_TOKEN"], None),
        (vec!["plugin", "remove", "netprobe"], None),
    ];
    let run = |env: &Env| -> Vec<String> {
        steps
            .iter()
            .map(|(args, input)| {
                let done = match input {
                    Some(text) => env.cove_with_stdin(args, text),
                    None => env.cove(args),
                };
                assert!(done.ok, "{args:?}: {done:?}");
                assert!(
                    !done.stdout.contains(secret_value),
                    "a secret value was printed"
                );
                done.stdout
            })
            .collect()
    };
    let local = run(&env);
    let other = Env::new().var("COVE_ADMIN_TOKEN", "tok");
    let server = other.serve();
    let remote = run(&other);
    for ((args, _), (l, r)) in steps.iter().zip(local.iter().zip(&remote)) {
        if args[0] == "plugin" && args[1] == "install" {
            continue; // the store-backed install reports the uploader as `cli`, the API as `api`
        }
        assert_eq!(l, r, "`cove {}` differs", args.join(" "));
    }
    // The server's audit says the changes came through the API.
    let audit = other.cove(&["audit", "--user", "api"]);
    assert!(
        audit.ok && audit.stdout.contains("admin add alice"),
        "{audit:?}"
    );
    let verify = other.cove(&["audit", "verify"]);
    assert!(verify.ok && verify.stdout.contains("intact"), "{verify:?}");

    // --server reaches a server explicitly, even from another data directory.
    let elsewhere = Env::new().var("COVE_ADMIN_TOKEN", "tok");
    let listed = elsewhere.cove(&["--server", &server.addr.to_string(), "plugin", "list"]);
    assert!(listed.ok && listed.stdout.contains("echo"), "{listed:?}");
    let wrong = Env::new().var("COVE_ADMIN_TOKEN", "nope");
    let refused = wrong.cove(&["--server", &server.addr.to_string(), "plugin", "list"]);
    assert!(
        !refused.ok && refused.stderr.contains("HTTP 401"),
        "{refused:?}"
    );
}
