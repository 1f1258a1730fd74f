//! A manifest with 300 commands `c0`..`c299`: install must refuse it (or cap it).

use cove_sdk::prelude::*;

struct BadManifestMany;

impl Plugin for BadManifestMany {
    fn manifest() -> Manifest {
        (0..300).fold(
            Manifest::new("badmanifest-many", "0.1.0", "Too many commands"),
            |m, i| m.command(Command::new(format!("c{i}"), "One of many")),
        )
    }

    fn handle_command(_inv: Invocation) -> Result<Reply, CommandError> {
        Ok(Reply::text("ok"))
    }
}

cove_sdk::export_plugin!(BadManifestMany);
