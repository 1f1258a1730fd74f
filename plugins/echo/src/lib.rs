//! `echo` and `sum`: the smallest useful plugin, and the command pair of the cross-bot
//! benchmark workload (so its replies are fixed byte for byte).

#![no_std]

use cove_sdk::prelude::*;

/// The benchmark compares this exact text across bots; do not reword it.
const NOT_INTEGERS: &str = "error: sum expects integers";

struct Echo;

impl Plugin for Echo {
    /// echo calls no host function, so without the panic message in the log the component
    /// imports nothing, which makes every instance of this benchmark plugin about 1.5 µs
    /// cheaper. It cannot panic short of running out of memory, which the host reports itself.
    const LOG_PANICS: bool = false;

    fn manifest() -> Manifest {
        Manifest::new(
            "echo",
            env!("CARGO_PKG_VERSION"),
            "Echo text and add integers",
        )
        .command(
            Command::new("echo", "Repeat the text back, exactly as typed")
                .arg(Arg::text("text").rest().describe("anything"))
                .example("!echo hello world"),
        )
        .command(
            // `text`, not `int`: a bad number must get the benchmark's reply, not the
            // host's usage message.
            Command::new("sum", "Add integers")
                .arg(Arg::text("numbers").optional().rest().describe("integers"))
                .example("!sum 1 2 3"),
        )
    }

    fn handle_command(inv: Invocation) -> Result<Reply, CommandError> {
        match inv.command.as_str() {
            "echo" if inv.raw.trim().is_empty() => Err(CommandError::usage("nothing to echo")),
            "echo" => Ok(Reply::text(inv.raw)),
            "sum" => Ok(Reply::text(
                sum(&inv.raw).unwrap_or_else(|| NOT_INTEGERS.into()),
            )),
            other => Err(CommandError::failed(format!(
                "echo has no command `{other}`"
            ))),
        }
    }
}

/// The decimal sum of the whitespace-separated integers in `text`, or `None` if a token is
/// not an `i64`. Adds in `i128`, which cannot overflow for any message a chat can carry.
fn sum(text: &str) -> Option<String> {
    let mut total: i128 = 0;
    for token in text.split_whitespace() {
        total += i128::from(token.parse::<i64>().ok()?);
    }
    Some(total.to_string())
}

cove_sdk::export_plugin!(Echo);
