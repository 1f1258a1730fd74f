//! `!nuke <target>` is marked dangerous: the host must ask for `!confirm <code>` first.

use cove_sdk::prelude::*;

struct Danger;

impl Plugin for Danger {
    fn manifest() -> Manifest {
        Manifest::new("danger", "0.1.0", "A dangerous command").command(
            Command::new("nuke", "Destroy an environment")
                .arg(Arg::text("target"))
                .dangerous(),
        )
    }

    fn handle_command(inv: Invocation) -> Result<Reply, CommandError> {
        Ok(Reply::text(format!("nuked {}", inv.arg(0).unwrap_or(""))))
    }
}

cove_sdk::export_plugin!(Danger);
