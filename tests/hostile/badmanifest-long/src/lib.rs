//! A manifest whose description is 100,000 characters: install must refuse it.

use cove_sdk::prelude::*;

struct BadManifestLong;

impl Plugin for BadManifestLong {
    fn manifest() -> Manifest {
        Manifest::new("badmanifest-long", "0.1.0", "d".repeat(100_000)).command(Command::new(
            "longdesc",
            "Belongs to a plugin with a huge description",
        ))
    }

    fn handle_command(_inv: Invocation) -> Result<Reply, CommandError> {
        Ok(Reply::text("ok"))
    }
}

cove_sdk::export_plugin!(BadManifestLong);
