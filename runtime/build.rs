//! Builds the first-party plugins in `plugins/` for wasm32-wasip2 and embeds them, so that a
//! new store gets them without any file next to the binary.

#[path = "build/wasm_plugins.rs"]
mod wasm_plugins;

use std::path::Path;

/// The first-party plugins, installed into every new store.
const FIRST_PARTY: &[&str] = &[
    "echo",
    "notes",
    "deploylock",
    "http_check",
    "github",
    "alerts",
    "github_events",
    "uptime",
];

fn main() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = crate_dir
        .parent()
        .expect("runtime/ sits inside the repository");
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let wasm_dir = wasm_plugins::build_workspace(
        &root.join("plugins"),
        &root.join("target").join("wasm-plugins"),
        &[&root.join("plugin-sdk"), &root.join("wit")],
    );
    let mut list = String::from(
        "/// The first-party plugins: (file name, component bytes).\npub const PLUGINS: &[(&str, &[u8])] = &[\n",
    );
    for name in FIRST_PARTY {
        let file = format!("{name}.wasm");
        let built = wasm_dir.join(&file);
        let copy = out_dir.join(&file);
        std::fs::copy(&built, &copy)
            .unwrap_or_else(|e| panic!("cannot copy {}: {e}", built.display()));
        list.push_str(&format!(
            "    ({file:?}, include_bytes!({:?})),\n",
            copy.display().to_string()
        ));
    }
    list.push_str("];\n");
    std::fs::write(out_dir.join("first_party.rs"), list).expect("cannot write first_party.rs");
}
