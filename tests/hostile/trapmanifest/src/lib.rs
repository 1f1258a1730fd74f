//! `manifest()` panics: installing this plugin must fail with a clear message.

use cove_sdk::prelude::*;

struct TrapManifest;

impl Plugin for TrapManifest {
    fn manifest() -> Manifest {
        panic!("trapmanifest panicked in manifest() on purpose");
    }

    fn handle_command(_inv: Invocation) -> Result<Reply, CommandError> {
        Ok(Reply::text("unreachable: this plugin cannot be installed"))
    }
}

cove_sdk::export_plugin!(TrapManifest);
