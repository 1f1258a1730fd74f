//! `kvhog`: `!kvfill <kib>`, `!kvget <key>`, `!kvset <key> <value>` (see `hog.rs`).

use cove_sdk::prelude::*;

mod hog;

struct KvHog;

impl Plugin for KvHog {
    fn manifest() -> Manifest {
        hog::manifest("kvhog", "kv")
    }

    fn handle_command(inv: Invocation) -> Result<Reply, CommandError> {
        hog::handle("kv", inv)
    }
}

cove_sdk::export_plugin!(KvHog);
