//! A manifest full of HTML and script, to check that the admin web page shows it as text:
//! a manifest is untrusted input.

use cove_sdk::prelude::*;

struct Markup;

impl Plugin for Markup {
    fn manifest() -> Manifest {
        Manifest::new(
            "markup",
            "1.0.0\"><script>alert('version')</script>",
            "<script>alert('description')</script> & <b>bold</b>",
        )
        .command(
            Command::new("markup", "<img src=x onerror=alert('summary')>")
                .arg(Arg::text("<i>arg</i>").optional()),
        )
    }

    fn handle_command(inv: Invocation) -> Result<Reply, CommandError> {
        Ok(Reply::text(inv.raw))
    }
}

cove_sdk::export_plugin!(Markup);
