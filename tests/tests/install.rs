//! Installing plugins: every bad input gets a specific error and changes nothing; versions,
//! rollback and remove work without a restart.

use cove_tests::{Env, first_party, hostile};

fn install_fails(env: &Env, file: &std::path::Path, expected: &str) {
    let done = env.cove(&["plugin", "install", &file.display().to_string()]);
    assert!(!done.ok, "installing {} should fail", file.display());
    assert!(
        done.stderr.contains(expected),
        "{}: {:?} should contain {expected:?}",
        file.display(),
        done.stderr
    );
    assert_eq!(
        done.stderr
            .trim()
            .lines()
            .filter(|l| l.starts_with("error:"))
            .count(),
        1,
        "{}",
        done.stderr
    );
}

#[test]
fn bad_files_get_specific_errors() {
    let env = Env::new().var("COVE_MANIFEST_DEADLINE_MS", "1000");
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello, I am not wasm").unwrap();
    let core = dir.path().join("core.wasm");
    // The smallest valid core module: header only.
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    let broken = dir.path().join("broken.wasm");
    std::fs::write(&broken, b"\0asm\x0d\0\x01\0garbage").unwrap();

    install_fails(&env, &text, "the file is not WebAssembly");
    install_fails(&env, &core, "is a core WebAssembly module, not a component");
    install_fails(&env, &broken, "the component is invalid");
    install_fails(
        &env,
        &hostile("wrongworld"),
        "does not implement the cove:plugin@0.1.0 `plugin` world",
    );
    install_fails(&env, &hostile("socketeer"), "imports wasi:sockets/");
    install_fails(
        &env,
        &hostile("badmanifest_empty"),
        "a command has an empty name",
    );
    install_fails(
        &env,
        &hostile("badmanifest_dup"),
        "command \"dup\" is declared twice",
    );
    install_fails(
        &env,
        &hostile("badmanifest_many"),
        "declares 300 commands (at most 100)",
    );
    install_fails(
        &env,
        &hostile("badmanifest_long"),
        "description is too long: 100000 bytes",
    );
    install_fails(&env, &hostile("slowmanifest"), "took longer than 1 s");
    install_fails(&env, &hostile("trapmanifest"), "manifest() failed");
    install_fails(&env, &env.data_dir().join("missing.wasm"), "cannot read");

    // Nothing was stored: only the first-party plugins are listed.
    let list = env.cove(&["plugin", "list"]);
    assert!(list.ok, "{list:?}");
    assert_eq!(list.stdout.lines().count(), 8, "{}", list.stdout);
}

#[test]
fn oversized_file_is_refused_before_reading() {
    let env = Env::new().var("COVE_MAX_PLUGIN_BYTES", "1000");
    install_fails(
        &env,
        &first_party("echo"),
        "over the 1000-byte plugin size limit",
    );
}

#[test]
fn versions_rollback_and_remove_take_effect_without_restart() {
    let env = Env::new();
    // First-party plugins are installed on first use.
    let list = env.cove(&["plugin", "list"]);
    for name in [
        "echo",
        "notes",
        "deploylock",
        "http-check",
        "github",
        "alerts",
        "github-events",
        "uptime",
    ] {
        assert!(
            list.stdout.contains(name),
            "{name} missing:\n{}",
            list.stdout
        );
    }
    let server = env.serve();
    assert_eq!(server.reply("!echo v1"), "v1");

    // `echo2` is another component whose manifest is named `echo` (version 2.0.0).
    server.stop();
    let done = env.install(&hostile("echo2"));
    assert!(
        done.stdout.contains("Installed echo 2.0.0"),
        "{}",
        done.stdout
    );
    let info = env.cove(&["plugin", "info", "echo"]);
    assert!(info.ok, "{info:?}");
    assert_eq!(info.stdout.matches("sha256:").count(), 2, "{}", info.stdout);
    assert!(info.stdout.contains("* 2.0.0"), "{}", info.stdout);
    assert_eq!(env.run("!echo v2").stdout.trim(), "echo2: v2");

    let rolled = env.cove(&["plugin", "rollback", "echo"]);
    assert!(
        rolled.ok && rolled.stdout.contains("Rolled echo back to"),
        "{rolled:?}"
    );
    assert_eq!(env.run("!echo v1-again").stdout.trim(), "v1-again");
    let again = env.cove(&["plugin", "rollback", "echo"]);
    assert!(
        !again.ok && again.stderr.contains("no version older"),
        "{again:?}"
    );

    let removed = env.cove(&["plugin", "remove", "echo"]);
    assert!(removed.ok, "{removed:?}");
    let gone = env.run("!echo hi");
    assert!(!gone.ok);
    assert!(gone.stdout.contains("Unknown command `echo`"), "{gone:?}");
    let missing = env.cove(&["plugin", "info", "echo"]);
    assert!(
        !missing.ok && missing.stderr.contains("no plugin named \"echo\""),
        "{missing:?}"
    );
}
