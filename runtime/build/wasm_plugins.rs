//! Shared by the build scripts of `runtime` (first-party plugins) and `tests` (hostile test
//! plugins): builds a cargo workspace of plugins for `wasm32-wasip2`, once per change.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The target every Cove plugin is built for.
pub const WASM_TARGET: &str = "wasm32-wasip2";

/// Builds the plugin workspace at `workspace` in release mode and returns the directory
/// holding the `.wasm` files. `target_dir` is separate from the outer build's, so the nested
/// cargo never waits on the outer one's lock.
pub fn build_workspace(workspace: &Path, target_dir: &Path, watch: &[&Path]) -> PathBuf {
    for path in watch.iter().copied().chain([workspace]) {
        rerun_if_changed(path);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["build", "--release", "--workspace", "--target", WASM_TARGET])
        .current_dir(workspace)
        .env("CARGO_TARGET_DIR", target_dir);
    // The outer build's variables describe the host build; the nested one must not see them.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        let inherited =
            key.starts_with("CARGO_") && key != "CARGO_HOME" && key != "CARGO_TARGET_DIR";
        if inherited || key == "RUSTFLAGS" || key == "RUSTC_WORKSPACE_WRAPPER" {
            command.env_remove(&*key);
        }
    }
    let status = command
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo to build {}: {e}", workspace.display()));
    if !status.success() {
        panic!(
            "building the plugins in {} for {WASM_TARGET} failed (see the output above). \
             Is the target installed? Run: rustup target add {WASM_TARGET}",
            workspace.display()
        );
    }
    target_dir.join(WASM_TARGET).join("release")
}

/// Watches every source file below `path` (skipping build output), so edits rebuild the plugins.
fn rerun_if_changed(path: &Path) {
    if path.is_dir() {
        let Ok(entries) = std::fs::read_dir(path) else {
            return;
        };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            rerun_if_changed(&p);
        }
    } else {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}
