//! `cove plugin new <name>`: a plugin crate that builds to an installable component.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;

use crate::manifest::is_identifier;

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Plugin name: lowercase letters, digits and '-', starting with a letter.
    name: String,
    /// Directory to create [default: ./<name>]
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// The template files: (path inside the new crate, template text).
const FILES: &[(&str, &str)] = &[
    (
        "Cargo.toml",
        include_str!("../../templates/plugin/Cargo.toml.tmpl"),
    ),
    (
        ".cargo/config.toml",
        include_str!("../../templates/plugin/cargo-config.toml.tmpl"),
    ),
    (
        "src/lib.rs",
        include_str!("../../templates/plugin/lib.rs.tmpl"),
    ),
    (
        "README.md",
        include_str!("../../templates/plugin/README.md.tmpl"),
    ),
    (".gitignore", "target/\n"),
];

/// Writes the crate and prints the one command that builds it.
pub fn run(args: NewArgs) -> anyhow::Result<ExitCode> {
    if !is_identifier(&args.name, 40) {
        bail!(
            "{:?} is not a valid plugin name: use lowercase letters, digits and '-', starting with a letter",
            args.name
        );
    }
    let dir = args.dir.unwrap_or_else(|| PathBuf::from(&args.name));
    if dir.exists()
        && dir
            .read_dir()
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        bail!("{} already exists and is not empty", dir.display());
    }
    let sdk = sdk_path()?;
    let crate_file = args.name.replace('-', "_");
    for (path, template) in FILES {
        let text = template
            .replace("{{name}}", &args.name)
            .replace("{{crate_file}}", &crate_file)
            .replace("{{sdk_path}}", &sdk.display().to_string());
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&target, text)
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    let wasm = dir.join(format!("target/wasm32-wasip2/release/{crate_file}.wasm"));
    println!("Created plugin `{}` in {}.", args.name, dir.display());
    println!("Build it:    cd {} && cargo build --release", dir.display());
    println!("Install it:  cove plugin install {}", wasm.display());
    println!("Try it:      cove run \"!hello\"");
    Ok(ExitCode::SUCCESS)
}

/// The plugin-sdk of the source tree this binary was built from.
fn sdk_path() -> anyhow::Result<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugin-sdk");
    path.canonicalize().with_context(|| {
        format!(
            "the plugin SDK is not at {} (where this cove binary was built); \
             run `cove plugin new` from a build of the Cove source tree",
            path.display()
        )
    })
}
