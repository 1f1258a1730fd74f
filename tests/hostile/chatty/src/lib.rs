//! `!chatty` writes a marker line to stdout, stderr and the host log, then replies `ok`:
//! tests check where each one lands (captured into the log, never into the reply).

use cove_sdk::prelude::*;

struct Chatty;

impl Plugin for Chatty {
    fn manifest() -> Manifest {
        Manifest::new("chatty", "0.1.0", "Writes to every output it has")
            .command(Command::new("chatty", "Print markers and reply ok"))
    }

    fn handle_command(_inv: Invocation) -> Result<Reply, CommandError> {
        println!("chatty-stdout-marker");
        eprintln!("chatty-stderr-marker");
        host::log::info("chatty-log-marker");
        Ok(Reply::text("ok"))
    }
}

cove_sdk::export_plugin!(Chatty);
