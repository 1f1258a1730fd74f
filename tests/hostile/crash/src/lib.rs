//! `!crash` panics (a trap after the message reaches stderr); `!trap` executes `unreachable`
//! directly, with no message at all.

use cove_sdk::prelude::*;

struct Crash;

impl Plugin for Crash {
    fn manifest() -> Manifest {
        Manifest::new("crash", "0.1.0", "Panics and traps")
            .command(Command::new("crash", "Panic"))
            .command(Command::new("trap", "Execute an unreachable instruction"))
    }

    fn handle_command(inv: Invocation) -> Result<Reply, CommandError> {
        if inv.command == "trap" {
            #[cfg(target_arch = "wasm32")]
            core::arch::wasm32::unreachable();
        }
        panic!("crash plugin panicked on purpose");
    }
}

cove_sdk::export_plugin!(Crash);
