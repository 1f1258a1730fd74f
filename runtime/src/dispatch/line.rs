//! Splitting a chat line into a command and its arguments. Pure.
//!
//! | text                          | command   | qualifier | raw                  |
//! |-------------------------------|-----------|-----------|----------------------|
//! | `!echo  hi there`             | `echo`    | –         | `hi there`           |
//! | `!notes:note add x "a b"`     | `note`    | `notes`   | `add x "a b"`        |
//! | `!Help`                       | `help`    | –         | ``                   |
//! | `hello` (prefix required)     | not a command                                   |
//!
//! Arguments are split from `raw` with POSIX-shell-like quoting (`'…'`, `"…"`, `\`).

/// A chat line that addresses Cove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine<'a> {
    /// The command word, lowercased.
    pub command: String,
    /// The `plugin` of `plugin:command`, lowercased.
    pub plugin: Option<String>,
    /// Everything after the command word and the whitespace that follows it.
    pub raw: &'a str,
}

/// Reads `text` as a command: `prefix` is stripped when present; when absent the line is a
/// command only if `prefix_optional` (the console, `cove run`).
pub fn parse<'a>(text: &'a str, prefix: &str, prefix_optional: bool) -> Option<CommandLine<'a>> {
    let text = text.trim();
    let body = match text.strip_prefix(prefix) {
        Some(rest) => rest,
        None if prefix_optional => text,
        None => return None,
    };
    let word_end = body.find(char::is_whitespace).unwrap_or(body.len());
    let (word, rest) = body.split_at(word_end);
    if word.is_empty() {
        return None;
    }
    let word = word.to_lowercase();
    let (plugin, command) = match word.split_once(':') {
        Some((p, c)) => (Some(p.to_string()), c.to_string()),
        None => (None, word),
    };
    Some(CommandLine {
        command,
        plugin,
        raw: rest.trim_start(),
    })
}

/// Splits arguments shell-style; `None` when a quote is left open.
pub fn split_args(raw: &str) -> Option<Vec<String>> {
    shlex::split(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(
        command: &str,
        plugin: Option<&str>,
        raw: &'static str,
    ) -> Option<CommandLine<'static>> {
        Some(CommandLine {
            command: command.into(),
            plugin: plugin.map(Into::into),
            raw,
        })
    }

    #[test]
    fn table() {
        let cases: Vec<(&str, bool, Option<CommandLine>)> = vec![
            ("!echo  hi there", false, line("echo", None, "hi there")),
            ("  !echo msg-0 ", false, line("echo", None, "msg-0")),
            (
                "!notes:note add x \"a b\"",
                false,
                line("note", Some("notes"), "add x \"a b\""),
            ),
            ("!Help", false, line("help", None, "")),
            ("hello there", false, None),
            ("hello there", true, line("hello", None, "there")),
            ("!", false, None),
            ("! echo", false, None),
            ("", true, None),
        ];
        for (text, optional, expected) in cases {
            assert_eq!(parse(text, "!", optional), expected, "{text:?}");
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(
            split_args(r#"add deploy "make ship" 'a b' c\ d"#).unwrap(),
            ["add", "deploy", "make ship", "a b", "c d"]
        );
        assert_eq!(split_args("").unwrap(), Vec::<String>::new());
        assert_eq!(split_args("\"open"), None);
    }
}
