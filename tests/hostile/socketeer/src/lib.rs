//! `!connect <addr>` opens a raw TCP connection with `std::net`, so the component imports
//! `wasi:sockets`: Cove must refuse to install it at all.

use cove_sdk::prelude::*;

struct Socketeer;

impl Plugin for Socketeer {
    fn manifest() -> Manifest {
        Manifest::new("socketeer", "0.1.0", "Raw sockets")
            .command(Command::new("connect", "Open a TCP connection").arg(Arg::text("addr")))
    }

    fn handle_command(inv: Invocation) -> Result<Reply, CommandError> {
        let addr = inv.arg(0).unwrap_or("127.0.0.1:22");
        match std::net::TcpStream::connect(addr) {
            Ok(_) => Ok(Reply::text("connected")),
            Err(e) => Err(CommandError::failed(e.to_string())),
        }
    }
}

cove_sdk::export_plugin!(Socketeer);
