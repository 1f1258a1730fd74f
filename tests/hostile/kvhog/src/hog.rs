//! The body of `kvhog` and `kvhog2`: the same plugin under two names and two command
//! prefixes, so that tests can install both and check that neither sees the other's keys
//! or quota.

use cove_sdk::prelude::*;

const CHUNK: usize = 16 * 1024;

/// The manifest of a kv hog named `name` whose commands start with `prefix`
/// (`<prefix>fill`, `<prefix>get`, `<prefix>set`).
pub fn manifest(name: &str, prefix: &str) -> Manifest {
    Manifest::new(name, "0.1.0", "Fills its kv store up to the quota")
        .command(
            Command::new(format!("{prefix}fill"), "Write <kib> KiB in 16 KiB values")
                .arg(Arg::int("kib")),
        )
        .command(Command::new(format!("{prefix}get"), "Show a value").arg(Arg::text("key")))
        .command(
            Command::new(format!("{prefix}set"), "Store a value")
                .arg(Arg::text("key"))
                .arg(Arg::text("value").rest()),
        )
}

/// Runs one command of a kv hog whose commands start with `prefix`.
pub fn handle(prefix: &str, inv: Invocation) -> Result<Reply, CommandError> {
    match inv.command.strip_prefix(prefix).unwrap_or("") {
        "fill" => {
            let kib = inv
                .int(0)
                .and_then(|k| usize::try_from(k).ok())
                .ok_or_else(|| CommandError::usage("kib must be a non-negative integer"))?;
            Ok(Reply::text(fill(kib.saturating_mul(1024))))
        }
        "get" => {
            let key = inv
                .arg(0)
                .ok_or_else(|| CommandError::usage("which key?"))?;
            Ok(Reply::text(
                kv::get_string(key).unwrap_or_else(|| "none".into()),
            ))
        }
        "set" => {
            let key = inv
                .arg(0)
                .ok_or_else(|| CommandError::usage("which key?"))?;
            let value = inv.args.get(1..).unwrap_or_default().join(" ");
            kv::set_string(key, &value).map_err(|e| CommandError::failed(e.to_string()))?;
            Ok(Reply::text("ok"))
        }
        _ => Err(CommandError::failed(format!(
            "no command `{}`",
            inv.command
        ))),
    }
}

/// Writes `total` bytes as `fill/<i>` values of at most 16 KiB and says how far it got.
fn fill(total: usize) -> String {
    let mut stored = 0;
    let mut i = 0;
    while stored < total {
        let len = CHUNK.min(total - stored);
        if let Err(e) = kv::set(&format!("fill/{i}"), &vec![b'k'; len]) {
            return format!("stored {stored} bytes; then: {e}");
        }
        stored += len;
        i += 1;
    }
    format!("stored {stored} bytes")
}
