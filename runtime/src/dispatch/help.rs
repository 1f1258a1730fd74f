//! `!help`, `!help <command>`, and "did you mean" suggestions.

use super::args::usage;
use crate::registry::{Catalog, LoadedPlugin};

/// The list of every command the caller may run, with its summary.
pub fn overview(catalog: &Catalog, prefix: &str, may_run: &dyn Fn(&str, &str) -> bool) -> String {
    let mut lines = Vec::new();
    for (command, owners) in catalog.command_names() {
        for owner in owners {
            let Some(plugin) = catalog.plugin(owner) else {
                continue;
            };
            let Some(spec) = plugin.command(command) else {
                continue;
            };
            if !may_run(owner, command) {
                continue;
            }
            let name = if owners.len() > 1 {
                format!("{owner}:{command}")
            } else {
                command.to_string()
            };
            lines.push(format!("• `{prefix}{name}` — {}", spec.summary));
        }
    }
    if lines.is_empty() {
        return "No plugins are installed yet. Install one with `cove plugin install <file.wasm>`."
            .into();
    }
    format!(
        "*Commands* ({} from {} plugins):\n{}\n`{prefix}help <command>` shows usage and examples.",
        lines.len(),
        catalog.plugins().count(),
        lines.join("\n")
    )
}

/// Usage, arguments and examples of one command.
pub fn command_help(plugin: &LoadedPlugin, command: &str, prefix: &str) -> Option<String> {
    let spec = plugin.command(command)?;
    let mut text = format!("`{}` — {}", usage(prefix, spec), spec.summary);
    let described: Vec<_> = spec
        .args
        .iter()
        .filter(|a| !a.description.is_empty())
        .collect();
    if !described.is_empty() {
        text.push_str("\n*Arguments:*");
        for arg in described {
            text.push_str(&format!("\n• `{}` — {}", arg.name, arg.description));
        }
    }
    if !spec.examples.is_empty() {
        text.push_str("\n*Examples:*");
        for example in &spec.examples {
            text.push_str(&format!("\n• `{example}`"));
        }
    }
    if spec.dangerous {
        text.push_str("\n_This command is marked dangerous._");
    }
    text.push_str(&format!(
        "\n_From the {} plugin, version {}._",
        plugin.name(),
        plugin.manifest.version
    ));
    Some(text)
}

/// The known command closest to `typed`, if any is close enough to be a likely typo.
pub fn nearest<'a>(catalog: &'a Catalog, typed: &str) -> Option<&'a str> {
    let candidates = catalog
        .command_names()
        .into_iter()
        .map(|(c, _)| c)
        .chain(["help"]);
    candidates
        .map(|c| (strsim::damerau_levenshtein(typed, c), c))
        .filter(|(distance, c)| *distance <= 2.min(c.len().saturating_sub(1)).max(1))
        .min()
        .map(|(_, c)| c)
}
