//! Who may run what: access rules, admin-only commands however spelled, confirmation of
//! dangerous commands, and approval of versions uploaded by non-admins.

use cove_tests::fake_http::{Answer, FakeHttp};
use cove_tests::{Env, hostile};

fn acl(env: &Env, words: &[&str]) {
    let mut args = vec!["acl"];
    args.extend_from_slice(words);
    let done = env.cove(&args);
    assert!(done.ok, "acl {words:?}: {done:?}");
}

#[test]
fn access_rules_matrix() {
    let env = Env::new();
    std::fs::write(
        env.data_dir().join("cove.toml"),
        "[access.roles]\nops = [\"bob\"]\n",
    )
    .unwrap();
    // Default allow: everyone runs everything.
    assert!(env.run_as("mallory", "!echo hi").ok);
    acl(&env, &["deny", "echo", "user:mallory"]);
    let denied = env.run_as("mallory", "!echo hi");
    assert!(
        !denied.ok && denied.stdout.starts_with("denied: "),
        "{denied:?}"
    );
    assert!(env.run_as("alice", "!echo hi").ok);

    // Default deny, with a command opened to a role and a plugin to a channel.
    acl(&env, &["default", "deny"]);
    acl(&env, &["allow", "echo:sum", "role:ops"]);
    acl(&env, &["allow", "notes", "channel:#runbooks"]);
    let cases: &[(&str, &str, &str, bool)] = &[
        ("bob", "console", "!sum 1 2", true),
        ("bob", "console", "!echo hi", false),
        ("alice", "console", "!sum 1 2", false),
        ("alice", "runbooks", "!note list", true),
        ("alice", "console", "!note list", false),
        ("mallory", "runbooks", "!echo hi", false),
    ];
    for (user, channel, line, allowed) in cases {
        let done = env.cove(&["run", line, "--user", user, "--channel", channel]);
        assert_eq!(
            !done.stdout.starts_with("denied: "),
            *allowed,
            "{user} in #{channel}: {line}: {}",
            done.stdout
        );
    }
    // `!help` shows only what the caller may run.
    let help = env.run_as("bob", "!help");
    assert!(
        help.stdout.contains("`!sum`") && !help.stdout.contains("`!echo`"),
        "{}",
        help.stdout
    );
    let listed = env.cove(&["acl", "list"]);
    assert!(
        listed.stdout.contains("default: deny")
            && listed.stdout.contains("allow echo:sum role:ops"),
        "{}",
        listed.stdout
    );
    let audit = env.cove(&["audit", "--user", "mallory"]);
    assert!(audit.stdout.contains("deny"), "{}", audit.stdout);
}

#[test]
fn admin_commands_are_for_admins_however_spelled() {
    let env = Env::new().var("COVE_ADMINS", "root");
    for spelling in [
        "!cove grants",
        "!COVE grants",
        "!cove:grants",
        "!Cove plugins",
        "cove audit",
    ] {
        let done = env.run_as("mallory", spelling);
        assert!(
            done.stdout.contains("is for Cove admins only"),
            "{spelling}: {}",
            done.stdout
        );
        assert!(env.run_as("root", spelling).ok, "{spelling} as root");
    }
    assert!(env.run_as("mallory", "!cove version").ok);
    assert!(env.cove(&["admin", "add", "alice"]).ok);
    assert!(env.run_as("alice", "!cove plugins").ok);
    assert!(env.cove(&["admin", "remove", "alice"]).ok);
    assert!(!env.run_as("alice", "!cove plugins").ok);
    let list = env.cove(&["admin", "list"]);
    assert!(list.stdout.contains("root"), "{}", list.stdout);
}

#[test]
fn dangerous_commands_need_the_same_users_confirmation() {
    let env = Env::new();
    env.install(&hostile("danger"));
    let server = env.serve();
    let prompt = server.texts("alice", "!nuke prod");
    assert!(prompt.contains("is marked dangerous"), "{prompt}");
    let code: String = prompt
        .split("!confirm ")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    assert_eq!(code.len(), 6, "{prompt}");
    assert!(
        !server
            .texts("mallory", &format!("!confirm {code}"))
            .contains("nuked")
    );
    assert_eq!(
        server.texts("alice", &format!("!confirm {code}")),
        "nuked prod"
    );
    assert!(
        !server
            .texts("alice", &format!("!confirm {code}"))
            .contains("nuked"),
        "a code works once"
    );
}

#[test]
fn a_non_admins_upload_runs_without_grants_until_approved() {
    let server = FakeHttp::start(|_, _| Answer::status(200, "fine"));
    let port = server.port();
    let env = Env::new().var("COVE_ADMINS", "root");
    env.install(&hostile("netprobe"));
    env.grant("netprobe", &["net", &format!("http://127.0.0.1:{port}")]);
    let url = format!("http://127.0.0.1:{port}/");
    assert!(
        env.run(&format!("!fetch {url}"))
            .stdout
            .contains("status=200")
    );

    let upload = env.cove(&[
        "plugin",
        "install",
        &hostile("netprobe2").display().to_string(),
        "--as",
        "eve",
    ]);
    assert!(
        upload.ok
            && upload
                .stdout
                .contains("runs without grants until `cove plugin approve netprobe`"),
        "{upload:?}"
    );
    let blocked = env.run(&format!("!fetch {url}"));
    assert!(
        blocked
            .stdout
            .contains("runs without grants until approved"),
        "{}",
        blocked.stdout
    );
    assert!(
        blocked.stdout.contains("cove plugin approve netprobe"),
        "{}",
        blocked.stdout
    );

    assert!(env.cove(&["plugin", "approve", "netprobe"]).ok);
    let approved = env.run(&format!("!fetch {url}"));
    assert!(
        approved.stdout.contains("status=200"),
        "{}",
        approved.stdout
    );
    // An admin's upload is approved at once, and grants carry over to it.
    let by_admin = env.cove(&[
        "plugin",
        "install",
        &hostile("netprobe").display().to_string(),
        "--as",
        "root",
    ]);
    assert!(by_admin.ok, "{by_admin:?}");
    assert!(
        env.run(&format!("!fetch {url}"))
            .stdout
            .contains("status=200")
    );
    let info = env.cove(&["plugin", "info", "netprobe"]);
    assert!(
        info.stdout.contains("by eve, approved") && info.stdout.contains("granted"),
        "{}",
        info.stdout
    );
    let audit = env.cove(&["audit", "--plugin", "netprobe"]);
    for action in ["install", "approve", "grant"] {
        assert!(audit.stdout.contains(action), "{action}: {}", audit.stdout);
    }
}
