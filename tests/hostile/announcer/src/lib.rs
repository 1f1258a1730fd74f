//! `!announce <channel> <text>` posts `text` to `channel` through `host.post`; it asks for
//! `post ops`, so only that channel works once granted. Used by the chat adapters' tests.

use cove_sdk::prelude::*;

struct Announcer;

impl Plugin for Announcer {
    fn manifest() -> Manifest {
        Manifest::new("announcer", "0.1.0", "Posts to a channel")
            .command(
                Command::new("announce", "Post text to a channel")
                    .arg(Arg::text("channel"))
                    .arg(Arg::text("text").rest()),
            )
            .post_to("ops")
    }

    fn handle_command(inv: Invocation) -> Result<Reply, CommandError> {
        let channel = inv.arg(0).unwrap_or_default();
        let text = inv.args.get(1..).unwrap_or_default().join(" ");
        host::post(channel, &text).map_err(CommandError::failed)?;
        Ok(Reply::text(format!("posted to {channel}")))
    }
}

cove_sdk::export_plugin!(Announcer);
