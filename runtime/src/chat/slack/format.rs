//! Replies as Slack wants them: Markdown turned into mrkdwn, and long text cut into messages
//! Slack accepts. Pure functions; table tests below.
//!
//! | Markdown                 | mrkdwn              |
//! |--------------------------|---------------------|
//! | `**bold**`, `__bold__`   | `*bold*`            |
//! | `*italic*`               | `_italic_`          |
//! | `~~struck~~`             | `~struck~`          |
//! | `[text](https://x)`      | `<https://x\|text>` |
//! | `# Heading`              | `*Heading*`         |
//! | `- item`, `* item`       | `• item`            |
//! | `` `code` ``, fences     | unchanged           |
//!
//! `&`, `<` and `>` are always escaped, so a plugin cannot write `<!channel>` or `<@U…>`
//! and ping people through Cove.

/// Characters per Slack message: Slack truncates `text` beyond 4 000 characters.
pub const MAX_MESSAGE_CHARS: usize = 3_500;

/// Replies with more lines than this go into a thread instead of the channel.
pub const LONG_LINES: usize = 20;

/// Markdown to Slack mrkdwn.
pub fn mrkdwn(markdown: &str) -> String {
    let mut out = Vec::new();
    let mut in_fence = false;
    for line in markdown.split('\n') {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            out.push(escape(line));
            continue;
        }
        if in_fence {
            out.push(escape(line));
            continue;
        }
        out.push(block_line(line));
    }
    out.join("\n")
}

/// Whether `text` is long enough to belong in a thread.
pub fn is_long(text: &str) -> bool {
    text.lines().count() > LONG_LINES || text.chars().count() > MAX_MESSAGE_CHARS
}

/// `text` in pieces of at most `max` characters, cut at line ends where possible; a code
/// fence open at a cut is closed and reopened so each piece renders on its own.
pub fn split(text: &str, max: usize) -> Vec<String> {
    let max = max.max(16);
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut in_fence = false;
    for line in text.split('\n') {
        for part in cut_line(line, max - 8) {
            let needed = current.chars().count() + part.chars().count() + 1;
            if !current.is_empty() && needed > max - 4 {
                if in_fence {
                    current.push_str("\n```");
                }
                pieces.push(std::mem::take(&mut current));
                if in_fence {
                    current.push_str("```");
                }
            }
            if !current.is_empty() {
                current.push('\n');
            }
            current.push_str(part);
        }
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
    }
    if !current.is_empty() || pieces.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// A line longer than `max` characters in pieces (on character boundaries).
fn cut_line(line: &str, max: usize) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = line;
    while rest.chars().count() > max {
        let at = rest.char_indices().nth(max).map_or(rest.len(), |(i, _)| i);
        parts.push(&rest[..at]);
        rest = &rest[at..];
    }
    parts.push(rest);
    parts
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One line outside a code fence: headings and bullets, then inline formatting.
fn block_line(line: &str) -> String {
    let indent = &line[..line.len() - line.trim_start().len()];
    let body = line.trim_start();
    let heading = body.trim_start_matches('#');
    if heading.len() < body.len() && body.len() - heading.len() <= 6 && heading.starts_with(' ') {
        return format!("{indent}*{}*", inline(heading.trim()).replace('*', ""));
    }
    for bullet in ["- ", "* ", "+ "] {
        if let Some(item) = body.strip_prefix(bullet) {
            return format!("{indent}• {}", inline(item));
        }
    }
    format!("{indent}{}", inline(body))
}

/// Inline formatting outside `code` spans.
fn inline(text: &str) -> String {
    text.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                escape(part)
            } else {
                emphasis(&links(&escape(part)))
            }
        })
        .collect::<Vec<_>>()
        .join("`")
}

/// `[text](url)` as `<url|text>`.
fn links(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let parsed = after.find("](").and_then(|close| {
            let url_part = &after[close + 2..];
            let end = url_part.find(')')?;
            let (label, url) = (&after[..close], &url_part[..end]);
            let ok = !label.contains('[') && !url.contains(char::is_whitespace) && !url.is_empty();
            ok.then(|| (label, url, close + 2 + end + 1))
        });
        match parsed {
            Some((label, url, used)) => {
                out.push_str(&rest[..open]);
                out.push_str(&format!("<{}|{}>", url.replace('|', "%7C"), label));
                rest = &after[used..];
            }
            None => {
                out.push_str(&rest[..=open]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Bold, italic and strikethrough pairs.
fn emphasis(text: &str) -> String {
    // Bold becomes a marker first so the italic pass does not see its stars.
    let text = pairs(&pairs(text, "**", "\u{1}"), "__", "\u{1}");
    let text = pairs(&text, "~~", "~");
    pairs(&text, "*", "_").replace('\u{1}', "*")
}

/// Replaces `delim`…`delim` around non-blank text with `with`…`with`; lone delimiters stay.
fn pairs(text: &str, delim: &str, with: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(delim) {
        let inner_start = start + delim.len();
        let closing = rest[inner_start..].find(delim).map(|e| inner_start + e);
        match closing {
            Some(end)
                if end > inner_start
                    && !rest[inner_start..end].starts_with(char::is_whitespace)
                    && !rest[inner_start..end].ends_with(char::is_whitespace) =>
            {
                out.push_str(&rest[..start]);
                out.push_str(with);
                out.push_str(&rest[inner_start..end]);
                out.push_str(with);
                rest = &rest[end + delim.len()..];
            }
            _ => {
                out.push_str(&rest[..inner_start]);
                rest = &rest[inner_start..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_mrkdwn() {
        let cases = [
            ("plain text", "plain text"),
            ("**bold** and *italic*", "*bold* and _italic_"),
            ("__bold__", "*bold*"),
            ("~~gone~~", "~gone~"),
            ("see [docs](https://x.dev/a)", "see <https://x.dev/a|docs>"),
            ("# Title", "*Title*"),
            ("## **Sub**", "*Sub*"),
            ("- one\n* two", "• one\n• two"),
            ("`**not bold**`", "`**not bold**`"),
            ("```\n**x** <y>\n```", "```\n**x** &lt;y&gt;\n```"),
            ("2 * 3 * 4", "2 * 3 * 4"),
            ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
            ("<!channel> hi <@U1>", "&lt;!channel&gt; hi &lt;@U1&gt;"),
            ("[broken](no end", "[broken](no end"),
            ("#hashtag", "#hashtag"),
        ];
        for (markdown, expected) in cases {
            assert_eq!(mrkdwn(markdown), expected, "{markdown:?}");
        }
    }

    #[test]
    fn long_text_is_split_at_lines_within_the_limit() {
        let text = (0..100)
            .map(|i| format!("line {i:03}"))
            .collect::<Vec<_>>()
            .join("\n");
        let pieces = split(&text, 100);
        assert!(pieces.len() > 5);
        assert!(pieces.iter().all(|p| p.chars().count() <= 100));
        assert_eq!(pieces.join("\n"), text);
        assert_eq!(split("short", 100), ["short"]);
        assert_eq!(split("", 100), [""]);
    }

    #[test]
    fn a_very_long_line_is_cut_on_character_boundaries() {
        let pieces = split(&"é".repeat(250), 100);
        assert!(pieces.iter().all(|p| p.chars().count() <= 100));
        assert_eq!(pieces.concat(), "é".repeat(250));
    }

    #[test]
    fn code_fences_are_closed_and_reopened_at_a_cut() {
        let body = (0..40).map(|_| "xxxxxxxxxx").collect::<Vec<_>>().join("\n");
        let pieces = split(&format!("```\n{body}\n```"), 120);
        assert!(pieces.len() > 2);
        for piece in &pieces {
            assert_eq!(piece.matches("```").count() % 2, 0, "{piece}");
            assert!(piece.chars().count() <= 120);
        }
    }

    #[test]
    fn long_means_many_lines_or_many_characters() {
        assert!(!is_long("a\nb"));
        assert!(is_long(&"x\n".repeat(LONG_LINES + 1)));
        assert!(is_long(&"x".repeat(MAX_MESSAGE_CHARS + 1)));
    }
}
