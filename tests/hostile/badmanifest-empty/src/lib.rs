//! A manifest with a command whose name is empty: install must refuse it.

use cove_sdk::prelude::*;

struct BadManifestEmpty;

impl Plugin for BadManifestEmpty {
    fn manifest() -> Manifest {
        Manifest::new("badmanifest-empty", "0.1.0", "A command without a name")
            .command(Command::new("", "Has no name"))
    }

    fn handle_command(_inv: Invocation) -> Result<Reply, CommandError> {
        Ok(Reply::text("ok"))
    }
}

cove_sdk::export_plugin!(BadManifestEmpty);
