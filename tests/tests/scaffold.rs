//! `cove plugin new`: the scaffold builds to a component that installs and answers.

use std::process::Command;

use cove_tests::Env;

#[test]
fn scaffolded_plugin_builds_installs_and_runs() {
    let env = Env::new();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("hello-ops");
    let created = env.cove(&[
        "plugin",
        "new",
        "hello-ops",
        "--dir",
        &dir.display().to_string(),
    ]);
    assert!(created.ok, "{created:?}");
    assert!(
        created.stdout.contains("cargo build --release"),
        "{}",
        created.stdout
    );

    // Build exactly as the scaffold says, sharing the plugins' target directory so the SDK
    // and wit-bindgen are not compiled again.
    let target = std::path::Path::new(env!("HOSTILE_WASM_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf();
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .expect("run cargo");
    assert!(status.success(), "the scaffolded plugin does not build");

    let wasm = target.join("wasm32-wasip2/release/hello_ops.wasm");
    env.install(&wasm);
    let hello = env.cove(&["run", "!hello", "--user", "ada"]);
    assert_eq!(hello.stdout.trim(), "Hello, ada!", "{hello:?}");
    assert_eq!(env.run("!hello world").stdout.trim(), "Hello, world!");

    let again = env.cove(&[
        "plugin",
        "new",
        "hello-ops",
        "--dir",
        &dir.display().to_string(),
    ]);
    assert!(
        !again.ok && again.stderr.contains("already exists"),
        "{again:?}"
    );
    let bad = env.cove(&["plugin", "new", "Bad_Name"]);
    assert!(
        !bad.ok && bad.stderr.contains("not a valid plugin name"),
        "{bad:?}"
    );
}
