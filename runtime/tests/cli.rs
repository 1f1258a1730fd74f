//! The `cove` binary's own surface: help, version, configuration. (Having an integration
//! test here also makes `cargo test` build `target/<profile>/cove` for the end-to-end tests
//! in `tests/`.)

use std::process::Command;

fn cove(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cove"));
    command
        .args(args)
        .env_remove("COVE_DATA_DIR")
        .env_remove("COVE_LISTEN");
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().expect("run cove");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn help_lists_every_command() {
    let (ok, stdout, _) = cove(&["--help"], &[]);
    assert!(ok);
    for command in ["serve", "chat", "run", "plugin", "config", "bench"] {
        assert!(
            stdout.contains(command),
            "{command} missing from:\n{stdout}"
        );
    }
    let (ok, stdout, _) = cove(&["plugin", "--help"], &[]);
    assert!(ok);
    for command in ["install", "list", "info", "rollback", "remove", "new"] {
        assert!(
            stdout.contains(command),
            "{command} missing from:\n{stdout}"
        );
    }
}

#[test]
fn config_show_reflects_environment_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let (ok, stdout, stderr) = cove(
        &["--data-dir", &data, "config", "show"],
        &[
            ("COVE_LISTEN", "127.0.0.1:9191"),
            ("COVE_KV_QUOTA_BYTES", "2048"),
        ],
    );
    assert!(ok, "{stderr}");
    assert!(stdout.contains("listen = \"127.0.0.1:9191\""), "{stdout}");
    assert!(stdout.contains("kv_quota_bytes = 2048"), "{stdout}");
    assert!(stdout.contains(&data), "{stdout}");
}

#[test]
fn a_bad_setting_is_one_clear_sentence() {
    let (ok, _, stderr) = cove(&["config", "show"], &[("COVE_DEADLINE_MS", "soon")]);
    assert!(!ok);
    assert!(
        stderr.starts_with("error: COVE_DEADLINE_MS=\"soon\" is not a whole number"),
        "{stderr}"
    );
}
