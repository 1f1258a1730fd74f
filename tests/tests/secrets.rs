//! Secrets: encrypted at rest, readable only with a `secret` grant, injected without the
//! plugin seeing them and only to their host, and redacted from replies and logs.

use std::path::Path;

use cove_tests::fake_http::{Answer, FakeHttp};
use cove_tests::{Env, hostile};

const TOKEN: &str = "tok-SECRET-4242-xyz";

fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(
                std::fs::read_dir(&path)
                    .unwrap()
                    .flatten()
                    .map(|e| e.path()),
            );
        } else if let Ok(bytes) = std::fs::read(&path)
            && bytes.windows(needle.len()).any(|w| w == needle)
        {
            found.push(path.display().to_string());
        }
    }
    found
}

#[test]
fn secrets_are_sealed_granted_and_redacted() {
    let env = Env::new();
    env.install(&hostile("netprobe"));
    let set = env.cove_with_stdin(&["secret", "set", "PROBE_TOKEN"], &format!("{TOKEN}\n"));
    assert!(
        set.ok && set.stdout.contains("Secret PROBE_TOKEN set"),
        "{set:?}"
    );
    assert!(!env.cove(&["secret", "set", "bad-name"]).ok);

    let denied = env.run("!secret PROBE_TOKEN");
    assert!(
        denied.stdout.contains("denied=")
            && denied
                .stdout
                .contains("cove grant netprobe secret PROBE_TOKEN"),
        "{}",
        denied.stdout
    );

    env.grant("netprobe", &["secret", "PROBE_TOKEN"]);
    let read = env.run("!secret PROBE_TOKEN");
    assert!(
        read.stdout.contains("secret=[redacted:PROBE_TOKEN]"),
        "{}",
        read.stdout
    );
    let echoed = env.run("!echo-secret PROBE_TOKEN");
    assert!(
        !echoed.stdout.contains(TOKEN) && !echoed.stderr.contains(TOKEN),
        "{echoed:?}"
    );

    let list = env.cove(&["secret", "list"]);
    assert!(
        list.stdout.contains("PROBE_TOKEN") && list.stdout.contains("netprobe"),
        "{}",
        list.stdout
    );
    assert!(!list.stdout.contains(TOKEN));

    // Inject-only grants never hand the value to the plugin.
    assert!(
        env.cove(&["revoke", "netprobe", "secret", "PROBE_TOKEN"])
            .ok
    );
    env.grant(
        "netprobe",
        &["secret", "PROBE_TOKEN", "--inject", "api.example.com"],
    );
    assert!(env.run("!secret PROBE_TOKEN").stdout.contains("denied="));

    let audit = env.cove(&["audit", "--json"]);
    assert!(
        audit.stdout.contains("secret.set") && !audit.stdout.contains(TOKEN),
        "{}",
        audit.stdout
    );
    assert!(env.cove(&["audit", "verify"]).stdout.contains("intact"));
    assert_eq!(
        files_containing(env.data_dir(), TOKEN.as_bytes()),
        Vec::<String>::new(),
        "the value is stored in clear"
    );
    let from_env = env
        .command(&["secret", "set", "OTHER_TOKEN", "--from-env", "MY_TOKEN_VAR"])
        .env("MY_TOKEN_VAR", "env-value-1")
        .output()
        .unwrap();
    assert!(from_env.status.success(), "{from_env:?}");
    assert!(env.cove(&["secret", "list"]).stdout.contains("OTHER_TOKEN"));
    let removed = env.cove(&["secret", "remove", "PROBE_TOKEN"]);
    assert!(removed.ok, "{removed:?}");
}

#[test]
fn an_injected_token_reaches_only_its_host() {
    let github = FakeHttp::start(|_, path| match path {
        "/repos/o/r/issues/12" => Answer::json(
            r#"{"number":12,"title":"Fix the flux capacitor","state":"open","html_url":"https://github.com/o/r/issues/12","user":{"login":"alice"}}"#,
        ),
        p if p.starts_with("/repos/o/r/pulls") => {
            Answer::json(r#"[{"number":7,"title":"Add tests","user":{"login":"bob"}}]"#)
        }
        _ => Answer::status(404, r#"{"message":"Not Found"}"#),
    });
    let other = FakeHttp::start(|_, _| Answer::status(200, "other"));
    let port = github.port();
    let env = Env::new().var(
        "COVE_EGRESS_HOSTS",
        "api.github.test=127.0.0.1,other.test=127.0.0.1",
    );
    std::fs::write(
        env.data_dir().join("cove.toml"),
        format!("[plugins.github]\napi_url = \"http://api.github.test:{port}\"\n"),
    )
    .unwrap();
    env.install(&hostile("netprobe"));
    assert!(
        env.cove_with_stdin(&["secret", "set", "GITHUB_TOKEN"], "ghp-test-token\n")
            .ok
    );

    let github_grants: &[&[&str]] = &[
        &[
            "secret",
            "GITHUB_TOKEN",
            "--inject",
            &format!("http://api.github.test:{port}"),
        ],
        &["net", &format!("http://127.0.0.1:{port}")],
    ];
    for words in github_grants {
        env.grant("github", words);
    }
    let issue = env.run("!gh issue o/r#12");
    assert!(
        issue
            .stdout
            .contains("#12 Fix the flux capacitor (open) by alice"),
        "{issue:?}"
    );
    let prs = env.run("!gh prs o/r");
    assert!(prs.stdout.contains("#7 Add tests (by bob)"), "{prs:?}");
    let seen = github.seen();
    assert!(!seen.is_empty());
    for request in &seen {
        assert_eq!(
            request.header("authorization"),
            Some("Bearer ghp-test-token")
        );
    }
    assert!(!issue.stdout.contains("ghp-test-token"));

    // The plugin cannot overwrite the injected header with a value of its own…
    env.grant(
        "github",
        &["net", &format!("http://api.github.test:{port}")],
    );
    env.grant(
        "netprobe",
        &[
            "secret",
            "GITHUB_TOKEN",
            "--inject",
            &format!("http://api.github.test:{port}"),
        ],
    );
    env.grant("netprobe", &["net", &format!("http://127.0.0.1:{port}")]);
    let forged = env.run(&format!(
        "!fetch-with-header http://api.github.test:{port}/repos/o/r/issues/12 Authorization forged"
    ));
    assert!(forged.stdout.contains("status=200"), "{forged:?}");
    let last = github.seen().pop().expect("a request");
    assert_eq!(
        last.header("authorization"),
        Some("Bearer ghp-test-token"),
        "the injected value replaces the plugin's"
    );

    // Another plugin, another host: the token does not travel there.
    let other_port = other.port();
    for words in [
        format!("http://other.test:{other_port}"),
        format!("http://127.0.0.1:{other_port}"),
    ] {
        env.grant("netprobe", &["net", &words]);
    }
    let fetched = env.run(&format!("!fetch http://other.test:{other_port}/"));
    assert!(fetched.stdout.contains("status=200"), "{fetched:?}");
    assert!(
        other
            .seen()
            .iter()
            .all(|r| r.header("authorization").is_none())
    );
}
