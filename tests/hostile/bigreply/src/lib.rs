//! `!bigreply` answers 1 MiB of `x`; `!bigreply-small <n>` answers `n` times `y`, to probe
//! the host's reply-size cap at its boundary.

use cove_sdk::prelude::*;

struct BigReply;

impl Plugin for BigReply {
    fn manifest() -> Manifest {
        Manifest::new("bigreply", "0.1.0", "Oversized replies")
            .command(Command::new("bigreply", "Reply with 1 MiB of text"))
            .command(
                Command::new("bigreply-small", "Reply with n characters")
                    .arg(Arg::int("n").describe("how many characters")),
            )
    }

    fn handle_command(inv: Invocation) -> Result<Reply, CommandError> {
        if inv.command == "bigreply" {
            return Ok(Reply::text("x".repeat(1 << 20)));
        }
        let n = inv
            .int(0)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| CommandError::usage("n must be a non-negative integer"))?;
        Ok(Reply::text("y".repeat(n)))
    }
}

cove_sdk::export_plugin!(BigReply);
