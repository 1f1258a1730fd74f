//! `!membomb` allocates and touches 1 MiB chunks forever: the per-instance memory limit
//! must end it (as a trap), not the host's own memory.

use cove_sdk::prelude::*;

struct MemBomb;

impl Plugin for MemBomb {
    fn manifest() -> Manifest {
        Manifest::new("membomb", "0.1.0", "Allocates without bound")
            .command(Command::new("membomb", "Allocate memory until stopped"))
    }

    fn handle_command(_inv: Invocation) -> Result<Reply, CommandError> {
        let mut chunks: Vec<Vec<u8>> = Vec::new();
        loop {
            let mut chunk = vec![0u8; 1 << 20];
            // Write every page so the memory is really committed, not just reserved.
            for i in (0..chunk.len()).step_by(4096) {
                chunk[i] = core::hint::black_box(1);
            }
            chunks.push(core::hint::black_box(chunk));
        }
    }
}

cove_sdk::export_plugin!(MemBomb);
