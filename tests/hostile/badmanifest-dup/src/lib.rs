//! A manifest with two commands named `dup`: install must refuse it.

use cove_sdk::prelude::*;

struct BadManifestDup;

impl Plugin for BadManifestDup {
    fn manifest() -> Manifest {
        Manifest::new("badmanifest-dup", "0.1.0", "The same command twice")
            .command(Command::new("dup", "First"))
            .command(Command::new("dup", "Second"))
    }

    fn handle_command(_inv: Invocation) -> Result<Reply, CommandError> {
        Ok(Reply::text("ok"))
    }
}

cove_sdk::export_plugin!(BadManifestDup);
