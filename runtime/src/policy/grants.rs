//! The grant language: the words after `cove grant <plugin>`.
//!
//! A [`Grant`] is parsed from words (as split by the CLI, or by `shlex::split` in chat), and
//! its `Display` is the canonical form of those words, shell-quoted where needed, so the stored
//! string splits and parses back to an equal grant. See the [module table](super).

use std::fmt;

use super::host_pattern::{HostPattern, PatternError};

/// What an admin has granted one plugin. Everything not granted is denied.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Grant {
    /// `net <pattern>`: outbound HTTP(S) to matching targets.
    Net(HostPattern),
    /// `secret <NAME>`: `host.secret("NAME")` returns the value.
    Secret { name: String },
    /// `secret <NAME> --inject <pattern> [--header '<Name>: <template>']`: the plugin never
    /// sees the value; egress adds the header to requests whose target matches `host`.
    /// This also lets the plugin reach `host`: a token for a host it cannot call is useless,
    /// and the admin has named the host in this very grant.
    Inject {
        name: String,
        host: HostPattern,
        header: HeaderTemplate,
    },
    /// `post <channel>`: may post to that channel (stored without a leading `#`).
    Post(String),
    /// `webhook <name>`: receives the webhook of that name.
    Webhook(String),
    /// `schedule "<cron>"`: receives that schedule (the cron text is validated elsewhere).
    Schedule(String),
}

/// Why words do not make a [`Grant`]. Each message names the bad word and the expected form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    #[error("nothing to grant; expected one of: {USAGE}")]
    Empty,
    #[error("unknown grant `{0}`; expected one of: {USAGE}")]
    UnknownKind(String),
    #[error("`{after}` needs {expected}")]
    MissingArgument {
        after: String,
        expected: &'static str,
    },
    #[error("unexpected `{word}`; expected {expected}")]
    UnexpectedWord {
        word: String,
        expected: &'static str,
    },
    #[error("`{0}` is given twice")]
    DuplicateOption(String),
    #[error("`--header` only applies with `--inject <host-pattern>`")]
    HeaderWithoutInject,
    /// `error` is in the message and deliberately not a `source`, so that printing the chain
    /// (`{:#}`) does not repeat it.
    #[error("`{word}` is not a host pattern: {error}")]
    Pattern { word: String, error: PatternError },
    #[error(
        "`{0}` is not a secret name; expected an upper-case letter then up to 63 upper-case letters, digits or `_`, as in `GITHUB_TOKEN`"
    )]
    SecretName(String),
    #[error(
        "`{0}` is not a header template; expected `<Name>: <template with {{}}>`, as in `Authorization: Bearer {{}}`"
    )]
    HeaderFormat(String),
    #[error("`{0}` is not a valid HTTP header name")]
    HeaderName(String),
    #[error("`{0}` cannot be injected: it controls how the request is framed or routed")]
    ForbiddenHeader(String),
    #[error("header template `{0}` must contain `{{}}` exactly once, where the secret goes")]
    Placeholder(String),
    #[error("header template {0:?} contains a control character")]
    HeaderValue(String),
    #[error("`{0}` is not a channel; expected a channel name or id such as `ops` or `C0123ABC`")]
    Channel(String),
    #[error("`{0}` is not a webhook name; expected 1 to 64 letters, digits, `-` or `_`")]
    WebhookName(String),
    #[error("`schedule` needs a cron expression, as in `schedule \"0 9 * * 1-5\"`")]
    EmptySchedule,
}

const USAGE: &str = "net <host-pattern>, secret <NAME> [--inject <host-pattern> [--header '<Name>: <template with {}>']], post <channel>, webhook <name>, schedule \"<cron>\"";
const PATTERN_EXPECTED: &str = "a host pattern, as in `api.github.com` or `*.example.com`";

impl Grant {
    /// Parses the words after `cove grant <plugin>`, e.g. `["net", "api.github.com"]`.
    pub fn parse<S: AsRef<str>>(words: &[S]) -> Result<Self, GrantError> {
        let words: Vec<&str> = words.iter().map(AsRef::as_ref).collect();
        let Some((kind, arguments)) = words.split_first() else {
            return Err(GrantError::Empty);
        };
        match kind.to_ascii_lowercase().as_str() {
            "net" => one_argument("net", arguments, PATTERN_EXPECTED)
                .and_then(parse_pattern)
                .map(Self::Net),
            "secret" => parse_secret(arguments),
            "post" => one_argument("post", arguments, "a channel, as in `post ops`")
                .and_then(parse_channel)
                .map(Self::Post),
            "webhook" => one_argument(
                "webhook",
                arguments,
                "a webhook name, as in `webhook deploy-done`",
            )
            .and_then(parse_webhook_name)
            .map(Self::Webhook),
            "schedule" => parse_schedule(arguments).map(Self::Schedule),
            _ => Err(GrantError::UnknownKind((*kind).to_owned())),
        }
    }

    /// The canonical words of this grant, unquoted: `Grant::parse(&grant.to_words())` is `grant`.
    pub fn to_words(&self) -> Vec<String> {
        match self {
            Self::Net(pattern) => vec!["net".into(), pattern.to_string()],
            Self::Secret { name } => vec!["secret".into(), name.clone()],
            Self::Inject { name, host, header } => {
                let mut words = vec![
                    "secret".into(),
                    name.clone(),
                    "--inject".into(),
                    host.to_string(),
                ];
                if *header != HeaderTemplate::default() {
                    words.extend(["--header".into(), header.to_string()]);
                }
                words
            }
            Self::Post(channel) => vec!["post".into(), channel.clone()],
            Self::Webhook(name) => vec!["webhook".into(), name.clone()],
            Self::Schedule(cron) => vec!["schedule".into(), cron.clone()],
        }
    }
}

impl fmt::Display for Grant {
    /// The canonical CLI form, each word shell-quoted when needed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words: Vec<String> = self
            .to_words()
            .iter()
            .map(|word| shell_quote(word))
            .collect();
        f.write_str(&words.join(" "))
    }
}

fn one_argument<'a>(
    after: &str,
    arguments: &[&'a str],
    expected: &'static str,
) -> Result<&'a str, GrantError> {
    match arguments {
        [] => Err(GrantError::MissingArgument {
            after: after.to_owned(),
            expected,
        }),
        [only] => Ok(only),
        [_, extra, ..] => Err(GrantError::UnexpectedWord {
            word: (*extra).to_owned(),
            expected: "nothing more",
        }),
    }
}

fn parse_pattern(word: &str) -> Result<HostPattern, GrantError> {
    HostPattern::parse(word).map_err(|error| GrantError::Pattern {
        word: word.to_owned(),
        error,
    })
}

/// `secret NAME`, `secret NAME --inject PATTERN [--header 'Name: template']`.
fn parse_secret(arguments: &[&str]) -> Result<Grant, GrantError> {
    let Some((name, options)) = arguments.split_first() else {
        let expected = "a secret name, as in `secret GITHUB_TOKEN`";
        return Err(GrantError::MissingArgument {
            after: "secret".into(),
            expected,
        });
    };
    let name = parse_secret_name(name)?;
    match parse_secret_options(options)? {
        (None, None) => Ok(Grant::Secret { name }),
        (None, Some(_)) => Err(GrantError::HeaderWithoutInject),
        (Some(pattern), header) => Ok(Grant::Inject {
            name,
            host: parse_pattern(pattern)?,
            header: header
                .map(HeaderTemplate::parse)
                .transpose()?
                .unwrap_or_default(),
        }),
    }
}

/// The values of `--inject` and `--header`, each at most once, in either order (`inject` and
/// `header` without dashes are accepted too, as DESIGN.md writes them).
fn parse_secret_options<'a>(
    options: &[&'a str],
) -> Result<(Option<&'a str>, Option<&'a str>), GrantError> {
    let (mut inject, mut header) = (None, None);
    let mut rest = options.iter();
    while let Some(option) = rest.next() {
        let (slot, expected) = match option.strip_prefix("--").unwrap_or(option) {
            "inject" => (&mut inject, PATTERN_EXPECTED),
            "header" => (
                &mut header,
                "a header template, as in `'Authorization: Bearer {}'`",
            ),
            _ => {
                let expected = "`--inject <host-pattern>` or `--header '<Name>: <template>'`";
                let word = (*option).to_owned();
                return Err(GrantError::UnexpectedWord { word, expected });
            }
        };
        let after = (*option).to_owned();
        let value = rest
            .next()
            .ok_or(GrantError::MissingArgument { after, expected })?;
        if slot.replace(*value).is_some() {
            return Err(GrantError::DuplicateOption((*option).to_owned()));
        }
    }
    Ok((inject, header))
}

/// `[A-Z][A-Z0-9_]{0,63}`: the same names `cove secret set` and `host.secret` use.
fn parse_secret_name(word: &str) -> Result<String, GrantError> {
    let mut characters = word.chars();
    let starts_with_letter = characters.next().is_some_and(|c| c.is_ascii_uppercase());
    let rest_is_valid =
        characters.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if starts_with_letter && rest_is_valid && word.len() <= 64 {
        Ok(word.to_owned())
    } else {
        Err(GrantError::SecretName(word.to_owned()))
    }
}

/// A channel name or id, stored without the leading `#` (which starts a comment in a shell).
fn parse_channel(word: &str) -> Result<String, GrantError> {
    let channel = word.strip_prefix('#').unwrap_or(word);
    let is_valid =
        |c: char| !(c.is_whitespace() || c.is_control() || matches!(c, '#' | '*' | '\'' | '"'));
    if channel.is_empty() || channel.chars().count() > 80 || !channel.chars().all(is_valid) {
        return Err(GrantError::Channel(word.to_owned()));
    }
    Ok(channel.to_owned())
}

fn parse_webhook_name(word: &str) -> Result<String, GrantError> {
    let is_valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_');
    if word.is_empty() || word.len() > 64 || !word.chars().all(is_valid) {
        return Err(GrantError::WebhookName(word.to_owned()));
    }
    Ok(word.to_owned())
}

/// The cron text, whether it came quoted as one word or unquoted as several (joined by spaces).
fn parse_schedule(arguments: &[&str]) -> Result<String, GrantError> {
    let cron = arguments
        .iter()
        .flat_map(|word| word.split_whitespace())
        .collect::<Vec<_>>()
        .join(" ");
    if cron.is_empty() {
        return Err(GrantError::EmptySchedule);
    }
    Ok(cron)
}

/// The header an inject grant adds: `Name: template`, the secret replacing the one `{}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HeaderTemplate {
    name: String,
    template: String,
}

/// Headers that decide how a request is framed, routed or upgraded: letting an injected value
/// set them would allow request smuggling or sending the secret somewhere else.
const FORBIDDEN_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
];

impl Default for HeaderTemplate {
    /// `Authorization: Bearer {}`, the form most HTTP APIs take a token in.
    fn default() -> Self {
        Self {
            name: "Authorization".into(),
            template: "Bearer {}".into(),
        }
    }
}

impl HeaderTemplate {
    /// Parses `Name: template with {}`; spaces around the name and the template are dropped.
    pub fn parse(spec: &str) -> Result<Self, GrantError> {
        let (name, template) = spec
            .split_once(':')
            .ok_or_else(|| GrantError::HeaderFormat(spec.to_owned()))?;
        let (name, template) = (name.trim(), template.trim());
        if name.is_empty() || !name.bytes().all(is_http_token_byte) {
            return Err(GrantError::HeaderName(name.to_owned()));
        }
        if FORBIDDEN_HEADERS
            .iter()
            .any(|forbidden| name.eq_ignore_ascii_case(forbidden))
        {
            return Err(GrantError::ForbiddenHeader(name.to_owned()));
        }
        if template.chars().any(char::is_control) {
            return Err(GrantError::HeaderValue(template.to_owned()));
        }
        if template.matches("{}").count() != 1 {
            return Err(GrantError::Placeholder(template.to_owned()));
        }
        Ok(Self {
            name: name.to_owned(),
            template: template.to_owned(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn template(&self) -> &str {
        &self.template
    }

    /// The header value with `secret` in place of `{}`. The secret itself is not checked
    /// here: egress must build an `http::HeaderValue` from it (which refuses CR/LF), mark it
    /// sensitive, and replace (not append to) any header of that name the plugin set.
    pub fn render(&self, secret: &str) -> String {
        self.template.replacen("{}", secret, 1)
    }
}

/// RFC 9110 `tchar`: the bytes allowed in a header name.
fn is_http_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

impl fmt::Display for HeaderTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.template)
    }
}

/// Quotes `word` for a POSIX shell unless it only has characters no shell treats specially.
pub(super) fn shell_quote(word: &str) -> String {
    let is_plain = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(c, '-' | '_' | '.' | ':' | '/' | ',' | '+' | '=' | '@' | '%')
    };
    if !word.is_empty() && word.chars().all(is_plain) {
        return word.to_owned();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits a test line the way the CLI's shell and chat's `shlex::split` do.
    fn words(line: &str) -> Vec<String> {
        shlex::split(line).unwrap_or_else(|| panic!("test line {line:?} splits"))
    }

    /// (words as an admin types them, canonical Display)
    const DISPLAY_ROWS: &[(&str, &str)] = &[
        ("net api.github.com", "net api.github.com"),
        ("NET https://API.github.com:443", "net api.github.com"),
        ("net '*.example.com'", "net '*.example.com'"),
        (
            "net http://status.example.com:8080",
            "net http://status.example.com:8080",
        ),
        ("net '[fd00::1]:8443'", "net '[fd00::1]:8443'"),
        ("net 10.0.0.0/8", "net 10.0.0.0/8"),
        ("secret GITHUB_TOKEN", "secret GITHUB_TOKEN"),
        (
            "secret T --inject api.github.com",
            "secret T --inject api.github.com",
        ),
        (
            "secret T inject api.github.com",
            "secret T --inject api.github.com",
        ),
        (
            "secret T --inject api.github.com --header 'Authorization: Bearer {}'",
            "secret T --inject api.github.com",
        ),
        (
            "secret T --header X-Api-Key:{} --inject '*.example.com'",
            "secret T --inject '*.example.com' --header 'X-Api-Key: {}'",
        ),
        (
            "secret T --inject x.example.com header 'Authorization:  token {}'",
            "secret T --inject x.example.com --header 'Authorization: token {}'",
        ),
        (
            r#"secret T --inject x.example.com --header "X-Sig: it's {}""#,
            r"secret T --inject x.example.com --header 'X-Sig: it'\''s {}'",
        ),
        ("post '#ops'", "post ops"),
        ("post C0123ABC", "post C0123ABC"),
        ("webhook deploy-done", "webhook deploy-done"),
        ("schedule '0 9 * * 1-5'", "schedule '0 9 * * 1-5'"),
        ("schedule 0 9 '*' '*' 1-5", "schedule '0 9 * * 1-5'"),
        ("schedule @hourly", "schedule @hourly"),
    ];

    #[test]
    fn display_is_canonical_and_round_trips_through_shell_words() {
        for (line, canonical) in DISPLAY_ROWS {
            let parsed = Grant::parse(&words(line)).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(parsed.to_string(), *canonical, "{line}");
            assert_eq!(
                Grant::parse(&words(canonical)),
                Ok(parsed.clone()),
                "{canonical}"
            );
            assert_eq!(
                Grant::parse(&parsed.to_words()),
                Ok(parsed),
                "{canonical} as words"
            );
        }
    }

    /// (words, start of the error message)
    const ERROR_ROWS: &[(&str, &str)] = &[
        (
            "",
            "nothing to grant; expected one of: net <host-pattern>, secret",
        ),
        (
            "network x.com",
            "unknown grant `network`; expected one of: net <host-pattern>",
        ),
        ("net", "`net` needs a host pattern, as in `api.github.com`"),
        (
            "net a.com b.com",
            "unexpected `b.com`; expected nothing more",
        ),
        (
            "net '*'",
            "`*` is not a host pattern: `*` alone would allow every host",
        ),
        (
            "net '*.com'",
            "`*.com` is not a host pattern: `*.com` would cover a whole top-level",
        ),
        (
            "net a.com/x",
            "`a.com/x` is not a host pattern: a host pattern names a host, not a path",
        ),
        (
            "net u@a.com",
            "`u@a.com` is not a host pattern: `user@` is not allowed",
        ),
        (
            "net a.com:99999",
            "`a.com:99999` is not a host pattern: port `99999` is not a number",
        ),
        (
            "secret",
            "`secret` needs a secret name, as in `secret GITHUB_TOKEN`",
        ),
        (
            "secret github_token",
            "`github_token` is not a secret name; expected an upper-case",
        ),
        ("secret 1TOKEN", "`1TOKEN` is not a secret name"),
        ("secret TOK-EN", "`TOK-EN` is not a secret name"),
        ("secret _TOKEN", "`_TOKEN` is not a secret name"),
        (
            "secret A234567890123456789012345678901234567890123456789012345678901234X",
            "`A23",
        ),
        ("secret T --inject", "`--inject` needs a host pattern"),
        (
            "secret T --header 'X: {}'",
            "`--header` only applies with `--inject <host-pattern>`",
        ),
        (
            "secret T --inject a.com --inject b.com",
            "`--inject` is given twice",
        ),
        (
            "secret T --inject a.com --header",
            "`--header` needs a header template",
        ),
        (
            "secret T --force",
            "unexpected `--force`; expected `--inject <host-pattern>`",
        ),
        ("secret T --inject '*'", "`*` is not a host pattern"),
        ("post", "`post` needs a channel"),
        ("post '#'", "`#` is not a channel"),
        ("post 'ops team'", "`ops team` is not a channel"),
        ("post '*'", "`*` is not a channel"),
        ("webhook deploy/done", "`deploy/done` is not a webhook name"),
        ("webhook ''", "`` is not a webhook name"),
        ("schedule", "`schedule` needs a cron expression"),
        ("schedule '  '", "`schedule` needs a cron expression"),
    ];

    #[test]
    fn refused_grants_say_why() {
        for (line, expected) in ERROR_ROWS {
            let error = Grant::parse(&words(line)).expect_err(line).to_string();
            assert!(error.starts_with(expected), "{line}: got {error:?}");
        }
    }

    /// (header spec after `--header`, start of the error message)
    const HEADER_ERROR_ROWS: &[(&str, &str)] = &[
        (
            "Bearer {}",
            "`Bearer {}` is not a header template; expected `<Name>: <template",
        ),
        ("X Key: {}", "`X Key` is not a valid HTTP header name"),
        (": {}", "`` is not a valid HTTP header name"),
        ("X-Kéy: {}", "`X-Kéy` is not a valid HTTP header name"),
        ("Host: {}", "`Host` cannot be injected"),
        ("content-length: {}", "`content-length` cannot be injected"),
        (
            "Transfer-Encoding: {}",
            "`Transfer-Encoding` cannot be injected",
        ),
        ("CONNECTION: {}", "`CONNECTION` cannot be injected"),
        ("Upgrade: {}", "`Upgrade` cannot be injected"),
        (
            "X-Key: token",
            "header template `token` must contain `{}` exactly once",
        ),
        (
            "X-Key: {}{}",
            "header template `{}{}` must contain `{}` exactly once",
        ),
        (
            "X-Key: {}\r\nHost: evil",
            r#"header template "{}\r\nHost: evil" contains a control"#,
        ),
        (
            "X-Key: {}\0",
            r#"header template "{}\0" contains a control character"#,
        ),
    ];

    #[test]
    fn refused_header_templates_say_why() {
        for (spec, expected) in HEADER_ERROR_ROWS {
            let line = ["secret", "T", "--inject", "a.com", "--header", spec];
            let error = Grant::parse(&line).expect_err(spec).to_string();
            assert!(error.starts_with(expected), "{spec:?}: got {error:?}");
            assert_eq!(
                HeaderTemplate::parse(spec).map_err(|e| e.to_string()),
                Err(error)
            );
        }
    }

    #[test]
    fn header_template_renders_the_secret_once() {
        let rows: &[(&str, &str, &str)] = &[
            ("Authorization: Bearer {}", "s3cr3t", "Bearer s3cr3t"),
            ("X-Api-Key: {}", "k", "k"),
            (
                "Authorization: Basic {}",
                "dXNlcjpwdw==",
                "Basic dXNlcjpwdw==",
            ),
            ("X-Token: pre{}post", "{}", "pre{}post"),
        ];
        for (spec, secret, rendered) in rows {
            let header = HeaderTemplate::parse(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
            assert_eq!(header.render(secret), *rendered, "{spec}");
        }
        assert_eq!(HeaderTemplate::default().render("t"), "Bearer t");
        assert_eq!(HeaderTemplate::default().name(), "Authorization");
    }

    #[test]
    fn shell_quote_only_quotes_when_needed() {
        let rows: &[(&str, &str)] = &[
            ("plain-word_1.2:3/4", "plain-word_1.2:3/4"),
            ("", "''"),
            ("two words", "'two words'"),
            ("*.example.com", "'*.example.com'"),
            ("#ops", "'#ops'"),
            ("it's", r"'it'\''s'"),
            ("$HOME", "'$HOME'"),
        ];
        for (word, quoted) in rows {
            assert_eq!(shell_quote(word), *quoted);
            assert_eq!(words(quoted), [*word], "{quoted} splits back");
        }
    }
}
