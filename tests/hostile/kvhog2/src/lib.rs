//! `kvhog2`: `kvhog` again under another name, with commands `!kv2fill`, `!kv2get`,
//! `!kv2set`; shares its source so the two can only differ by name.

use cove_sdk::prelude::*;

#[path = "../../kvhog/src/hog.rs"]
mod hog;

struct KvHog2;

impl Plugin for KvHog2 {
    fn manifest() -> Manifest {
        hog::manifest("kvhog2", "kv2")
    }

    fn handle_command(inv: Invocation) -> Result<Reply, CommandError> {
        hog::handle("kv2", inv)
    }
}

cove_sdk::export_plugin!(KvHog2);
