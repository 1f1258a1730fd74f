//! A different plugin that also offers `echo`, to check that an ambiguous command name asks
//! for `plugin:command`.

use cove_sdk::prelude::*;

struct DupEcho;

impl Plugin for DupEcho {
    fn manifest() -> Manifest {
        Manifest::new("dupecho", "0.1.0", "Also echoes")
            .command(Command::new("echo", "Repeat the text, marked").arg(Arg::text("text").rest()))
    }

    fn handle_command(inv: Invocation) -> Result<Reply, CommandError> {
        Ok(Reply::text(format!("dupecho: {}", inv.raw)))
    }
}

cove_sdk::export_plugin!(DupEcho);
