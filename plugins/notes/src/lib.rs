//! `note`: team runbook snippets (`!note add deploy make ship`), kept in the plugin's kv
//! store under `note/<topic>`.
//!
//! One command with a subcommand word, because the host routes by command name and
//! `!note add`, `!note show`, … read naturally in chat.

#![no_std]

use cove_sdk::kv::{self, KvError};
use cove_sdk::prelude::*;

const PREFIX: &str = "note/";
const USAGE: &str =
    "!note add <topic> <text…> | !note show <topic> | !note list | !note rm <topic>";

struct Notes;

impl Plugin for Notes {
    fn manifest() -> Manifest {
        Manifest::new("notes", env!("CARGO_PKG_VERSION"), "Team runbook snippets").command(
            Command::new("note", "Save, show, list and remove runbook snippets")
                .arg(Arg::text("action").describe("add, show, list or rm"))
                .arg(
                    Arg::text("topic")
                        .optional()
                        .describe("one word, e.g. deploy"),
                )
                .arg(Arg::text("text").optional().rest().describe("the snippet"))
                .usage(USAGE)
                .example("!note add deploy make ship && make verify")
                .example("!note show deploy")
                .example("!note list")
                .example("!note rm deploy"),
        )
    }

    fn handle_command(inv: Invocation) -> Result<Reply, CommandError> {
        // Words are taken from `raw`, not `args`: a snippet is usually a shell command whose
        // quotes and spacing must survive exactly as typed.
        let (action, rest) = next_word(&inv.raw);
        let (topic, text) = next_word(rest);
        match action.to_ascii_lowercase().as_str() {
            "add" => add(&topic_of(topic)?, text.trim()),
            "show" => show(&topic_of(topic)?),
            "list" | "ls" => Ok(list()),
            "rm" | "remove" | "delete" => remove(&topic_of(topic)?),
            "" => Err(CommandError::usage("say what to do: add, show, list or rm")),
            other => Err(CommandError::usage(format!("unknown action `{other}`"))),
        }
    }
}

fn add(topic: &str, text: &str) -> Result<Reply, CommandError> {
    if text.is_empty() {
        return Err(CommandError::usage(format!(
            "what should note `{topic}` say?"
        )));
    }
    match kv::set_string(&key(topic), text) {
        Ok(()) => Ok(Reply::text(format!("Saved note `{topic}`."))),
        Err(KvError::QuotaExceeded { limit }) => Err(CommandError::failed(format!(
            "The notes store is full ({limit} bytes). Remove a note with `!note rm <topic>` first."
        ))),
        Err(e) => Err(CommandError::failed(format!(
            "Could not save note `{topic}`: {e}"
        ))),
    }
}

fn show(topic: &str) -> Result<Reply, CommandError> {
    match kv::get_string(&key(topic)) {
        Some(text) => Ok(Reply::text(format!("*{topic}*\n{text}"))),
        None => Err(missing(topic)),
    }
}

fn list() -> Reply {
    let topics: Vec<String> = kv::list_keys(PREFIX)
        .iter()
        .filter_map(|k| k.strip_prefix(PREFIX))
        .map(|t| format!("`{t}`"))
        .collect();
    if topics.is_empty() {
        Reply::text("No notes yet. Add one with `!note add <topic> <text>`.")
    } else {
        Reply::text(format!("Notes ({}): {}", topics.len(), topics.join(", ")))
    }
}

fn remove(topic: &str) -> Result<Reply, CommandError> {
    match kv::delete(&key(topic)) {
        Ok(true) => Ok(Reply::text(format!("Removed note `{topic}`."))),
        Ok(false) => Err(missing(topic)),
        Err(e) => Err(CommandError::failed(format!(
            "Could not remove note `{topic}`: {e}"
        ))),
    }
}

fn missing(topic: &str) -> CommandError {
    CommandError::failed(format!("No note named `{topic}`. Try `!note list`."))
}

fn key(topic: &str) -> String {
    format!("{PREFIX}{topic}")
}

/// A topic is one short word, compared case-insensitively, so that it is easy to type and
/// can never smuggle a `/` into the key namespace.
fn topic_of(word: &str) -> Result<String, CommandError> {
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if word.is_empty() {
        Err(CommandError::usage("which topic?"))
    } else if word.len() > 64 || !word.chars().all(ok) {
        Err(CommandError::usage(
            "a topic is one word of up to 64 letters, digits, `-`, `_` or `.`",
        ))
    } else {
        Ok(word.to_ascii_lowercase())
    }
}

/// Splits off the first whitespace-separated word; the remainder keeps its own spacing.
fn next_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    s.split_once(char::is_whitespace).unwrap_or((s, ""))
}

cove_sdk::export_plugin!(Notes);
