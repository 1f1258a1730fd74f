//! A second version of the `echo` plugin (same manifest name, version 2.0.0) whose replies
//! are marked, to check that upgrades and rollbacks take effect at once.

use cove_sdk::prelude::*;

struct Echo2;

impl Plugin for Echo2 {
    fn manifest() -> Manifest {
        Manifest::new("echo", "2.0.0", "Echo, version two")
            .command(Command::new("echo", "Repeat the text, marked").arg(Arg::text("text").rest()))
            .command(
                Command::new("sum", "Add integers").arg(Arg::text("numbers").optional().rest()),
            )
    }

    fn handle_command(inv: Invocation) -> Result<Reply, CommandError> {
        Ok(Reply::text(format!("echo2: {}", inv.raw)))
    }
}

cove_sdk::export_plugin!(Echo2);
