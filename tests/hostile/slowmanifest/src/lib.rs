//! `manifest()` never returns: installing this plugin must time out, not hang.

use cove_sdk::prelude::*;

struct SlowManifest;

impl Plugin for SlowManifest {
    fn manifest() -> Manifest {
        let mut n: u64 = 0;
        loop {
            n = core::hint::black_box(n.wrapping_add(1));
        }
    }

    fn handle_command(_inv: Invocation) -> Result<Reply, CommandError> {
        Ok(Reply::text("unreachable: this plugin cannot be installed"))
    }
}

cove_sdk::export_plugin!(SlowManifest);
