//! `!spin` never returns: the host's wall-clock deadline (epoch interruption) must stop it.

use cove_sdk::prelude::*;

struct Spin;

impl Plugin for Spin {
    fn manifest() -> Manifest {
        Manifest::new("spin", "0.1.0", "Loops forever")
            .command(Command::new("spin", "Loop forever"))
    }

    fn handle_command(_inv: Invocation) -> Result<Reply, CommandError> {
        let mut n: u64 = 0;
        loop {
            // black_box keeps the optimiser from proving the loop has no effect.
            n = core::hint::black_box(n.wrapping_add(1));
        }
    }
}

cove_sdk::export_plugin!(Spin);
