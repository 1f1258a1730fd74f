//! Builds the hostile test plugins in `tests/hostile/` once per change, for the end-to-end
//! tests, and tells them where the `.wasm` files are (`HOSTILE_WASM_DIR`).

#[path = "../runtime/build/wasm_plugins.rs"]
mod wasm_plugins;

use std::path::Path;

fn main() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = crate_dir
        .parent()
        .expect("tests/ sits inside the repository");
    let wasm_dir = wasm_plugins::build_workspace(
        &crate_dir.join("hostile"),
        &root.join("target").join("wasm-plugins"),
        &[&root.join("plugin-sdk"), &root.join("wit")],
    );
    println!("cargo:rustc-env=HOSTILE_WASM_DIR={}", wasm_dir.display());
    println!(
        "cargo:rustc-env=FIRST_PARTY_WASM_DIR={}",
        wasm_dir.display()
    );
}
