//! `!deeprec` recurses without bound: the wasm stack limit must turn it into a trap.

use cove_sdk::prelude::*;

struct DeepRec;

impl Plugin for DeepRec {
    fn manifest() -> Manifest {
        Manifest::new("deeprec", "0.1.0", "Overflows the stack")
            .command(Command::new("deeprec", "Recurse until the stack overflows"))
    }

    fn handle_command(_inv: Invocation) -> Result<Reply, CommandError> {
        Ok(Reply::text(recurse(0).to_string()))
    }
}

/// Not a tail call (the result is used after the call) and a frame the optimiser cannot
/// drop, so neither the wasm stack nor the shadow stack in linear memory can be spared.
#[inline(never)]
#[allow(unconditional_recursion)] // the point of this plugin
fn recurse(depth: u64) -> u64 {
    let mut frame = [0u8; 128];
    core::hint::black_box(&mut frame);
    let below = recurse(core::hint::black_box(depth + 1));
    below.wrapping_add(u64::from(frame[(depth % 128) as usize]))
}

cove_sdk::export_plugin!(DeepRec);
