//! The rule language: the words after `cove acl`, `allow|deny <scope> <who>`.
//!
//! A [`Rule`] is parsed from words (as split by the CLI, or by `shlex::split` in chat), and its
//! `Display` is the canonical form of those words, which never needs quoting (except `*` in a
//! shell). See the [module tables](super) for what each word means.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::Subject;

/// Whether a rule lets a command run.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// The command may run (the default: grants, not this list, limit what plugins reach).
    #[default]
    Allow,
    /// The command may not run.
    Deny,
}

/// Which commands a rule covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// `*`: every command of every plugin.
    Global,
    /// `deploy`: every command of one plugin.
    Plugin(String),
    /// `deploy:rollback`: one command of one plugin.
    Command {
        /// The plugin's name.
        plugin: String,
        /// The command's name within the plugin.
        command: String,
    },
}

/// Whom a rule applies to. Values are stored without a leading `@` or `#`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Who {
    /// `user:<id or name>`.
    User(String),
    /// `role:<name>`, stored lowercased.
    Role(String),
    /// `channel:<id or #name>`.
    Channel(String),
    /// `*`.
    Everyone,
}

/// One access rule: `allow|deny <scope> <who>`.
///
/// Serialized as its canonical string (`"allow deploy:rollback role:oncall"`) and parsed back
/// on the way in, so a stored or hand-edited ACL is validated like one typed at the CLI.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Rule {
    /// Allow or deny.
    pub effect: Effect,
    /// Which commands.
    pub scope: Scope,
    /// Whom.
    pub who: Who,
}

/// Why words do not make a [`Rule`]. Each message names the bad word and the expected form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AclError {
    /// No words at all.
    #[error("no rule given; expected {RULE_FORM}")]
    Empty,
    /// The first word is neither `allow` nor `deny`.
    #[error("`{0}` is not an effect; expected `allow` or `deny`, as in {RULE_FORM}")]
    Effect(String),
    /// Only the effect was given.
    #[error("`{effect}` needs a scope and who it applies to; expected {RULE_FORM}")]
    MissingScope {
        /// The effect word as typed.
        effect: String,
    },
    /// The second word is not `*`, `plugin` or `plugin:command`.
    #[error("`{0}` is not a scope; expected {SCOPE_FORM}")]
    Scope(String),
    /// The third word is missing.
    #[error("`{effect} {scope}` needs who it applies to; expected {WHO_FORM}")]
    MissingWho {
        /// The effect word as typed.
        effect: String,
        /// The scope word as typed.
        scope: String,
    },
    /// The third word has an unknown `kind:`.
    #[error("`{0}` is not who a rule applies to; expected {WHO_FORM}")]
    Who(String),
    /// The third word has no `kind:` at all (`alice` rather than `user:alice`).
    #[error(
        "`{0}` is not who a rule applies to; write `user:{0}`, `role:{0}` or `channel:{0}`, or `*` for everyone"
    )]
    BareWho(String),
    /// The value after `user:`, `role:` or `channel:` is empty or has a character not allowed.
    #[error(
        "`{word}` is not valid: after `{kind}:` expected 1 to 80 letters, digits or `-_.:@+`, as in {example}"
    )]
    Name {
        /// The whole word as typed.
        word: String,
        /// `user`, `role` or `channel`.
        kind: &'static str,
        /// Valid examples of that kind.
        example: &'static str,
    },
    /// A fourth word.
    #[error("unexpected `{0}`; a rule is three words, as in {RULE_FORM}")]
    Extra(String),
}

const RULE_FORM: &str = "`allow|deny <scope> <who>`, as in `allow deploy:rollback role:oncall`";
const SCOPE_FORM: &str = "`*` for all plugins, a plugin such as `deploy`, or a command such as `deploy:rollback` (lowercase letters, digits and `-`, starting with a letter)";
const WHO_FORM: &str =
    "`user:<id or name>`, `role:<name>`, `channel:<id or #name>`, or `*` for everyone";
const MAX_PLUGIN_NAME: usize = 40;
const MAX_COMMAND_NAME: usize = 32;
const MAX_NAME: usize = 80;

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
        })
    }
}

impl FromStr for Effect {
    type Err = AclError;

    /// `allow` or `deny`, ignoring case.
    fn from_str(word: &str) -> Result<Self, AclError> {
        match word.to_ascii_lowercase().as_str() {
            "allow" => Ok(Self::Allow),
            "deny" => Ok(Self::Deny),
            _ => Err(AclError::Effect(word.to_owned())),
        }
    }
}

/// How closely a scope names a command; a higher one overrides a lower one (step 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Specificity {
    Global,
    Plugin,
    Command,
}

impl Scope {
    /// Parses `*`, `deploy` or `deploy:rollback`.
    pub fn parse(word: &str) -> Result<Self, AclError> {
        let bad = || AclError::Scope(word.to_owned());
        if word == "*" {
            return Ok(Self::Global);
        }
        let lowered = word.to_ascii_lowercase();
        match lowered.split_once(':') {
            None if is_identifier(&lowered, MAX_PLUGIN_NAME) => Ok(Self::Plugin(lowered)),
            Some((plugin, command))
                if is_identifier(plugin, MAX_PLUGIN_NAME)
                    && is_identifier(command, MAX_COMMAND_NAME) =>
            {
                Ok(Self::Command {
                    plugin: plugin.to_owned(),
                    command: command.to_owned(),
                })
            }
            _ => Err(bad()),
        }
    }

    /// How specifically this scope covers `plugin:command`; `None` when it does not cover it.
    pub(super) fn specificity(&self, plugin: &str, command: &str) -> Option<Specificity> {
        match self {
            Self::Global => Some(Specificity::Global),
            Self::Plugin(p) if p.eq_ignore_ascii_case(plugin) => Some(Specificity::Plugin),
            Self::Command {
                plugin: p,
                command: c,
            } if p.eq_ignore_ascii_case(plugin) && c.eq_ignore_ascii_case(command) => {
                Some(Specificity::Command)
            }
            _ => None,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Global => f.write_str("*"),
            Self::Plugin(plugin) => f.write_str(plugin),
            Self::Command { plugin, command } => write!(f, "{plugin}:{command}"),
        }
    }
}

/// `a-z0-9-`, starting with a letter, 1 to `max` characters: the manifest's name rule.
fn is_identifier(word: &str, max: usize) -> bool {
    let mut characters = word.chars();
    characters.next().is_some_and(|c| c.is_ascii_lowercase())
        && characters.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && word.len() <= max
}

impl Who {
    /// Parses `user:<id or name>`, `role:<name>`, `channel:<id or #name>` or `*`.
    pub fn parse(word: &str) -> Result<Self, AclError> {
        if word == "*" {
            return Ok(Self::Everyone);
        }
        let Some((kind, value)) = word.split_once(':') else {
            return Err(AclError::BareWho(word.to_owned()));
        };
        match kind.to_ascii_lowercase().as_str() {
            "user" => name(
                word,
                value,
                Some('@'),
                "user",
                "`user:U0123ABC` or `user:alice`",
            )
            .map(Self::User),
            "role" => name(word, value, None, "role", "`role:oncall`")
                .map(|role| Self::Role(role.to_lowercase())),
            "channel" => name(
                word,
                value,
                Some('#'),
                "channel",
                "`channel:C0123ABC` or `channel:#ops`",
            )
            .map(Self::Channel),
            _ => Err(AclError::Who(word.to_owned())),
        }
    }

    /// Whether this names the subject; an empty field of the subject never matches.
    pub fn matches(&self, subject: &Subject) -> bool {
        match self {
            Self::User(user) => names_user(user, &subject.user_id, &subject.user_name),
            Self::Role(role) => subject.roles.iter().any(|r| same_name(role, r)),
            Self::Channel(channel) => {
                let channel_name = subject.channel_name.strip_prefix('#');
                same_id(channel, &subject.channel_id)
                    || same_name(channel, channel_name.unwrap_or(&subject.channel_name))
            }
            Self::Everyone => true,
        }
    }
}

/// The value after `kind:`, without one leading `sigil`, checked against the name rule.
fn name(
    word: &str,
    value: &str,
    sigil: Option<char>,
    kind: &'static str,
    example: &'static str,
) -> Result<String, AclError> {
    let value = sigil.and_then(|s| value.strip_prefix(s)).unwrap_or(value);
    let is_valid = |c: char| c.is_alphanumeric() || "-_.:@+".contains(c);
    let starts_well = value.chars().next().is_some_and(|c| c != '@' && c != '#');
    if starts_well && value.chars().count() <= MAX_NAME && value.chars().all(is_valid) {
        return Ok(value.to_owned());
    }
    let word = word.to_owned();
    Err(AclError::Name {
        word,
        kind,
        example,
    })
}

impl fmt::Display for Who {
    /// `#` is written before a channel unless the value looks like a platform id (an upper-case
    /// letter, then only upper-case letters and digits: Slack names are never upper case). It
    /// is only cosmetic: `#` is optional on input, so the text always parses back the same.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::User(user) => write!(f, "user:{user}"),
            Self::Role(role) => write!(f, "role:{role}"),
            Self::Channel(channel) if looks_like_id(channel) => write!(f, "channel:{channel}"),
            Self::Channel(channel) => write!(f, "channel:#{channel}"),
            Self::Everyone => f.write_str("*"),
        }
    }
}

fn looks_like_id(value: &str) -> bool {
    value.starts_with(|c: char| c.is_ascii_uppercase())
        && value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Ids compare exactly: platforms issue them, and `U1` and `u1` may be different users.
pub(super) fn same_id(entry: &str, id: &str) -> bool {
    !entry.is_empty() && entry == id
}

/// Names compare ignoring case (Unicode lowercase), as people type them.
pub(super) fn same_name(entry: &str, name: &str) -> bool {
    !entry.is_empty()
        && entry
            .chars()
            .flat_map(char::to_lowercase)
            .eq(name.chars().flat_map(char::to_lowercase))
}

/// Whether an admin or `[roles]` entry (`U123`, `alice` or `@alice`) names this user.
pub(super) fn names_user(entry: &str, user_id: &str, user_name: &str) -> bool {
    let entry = entry.strip_prefix('@').unwrap_or(entry);
    let user_name = user_name.strip_prefix('@').unwrap_or(user_name);
    same_id(entry, user_id) || same_name(entry, user_name)
}

impl Rule {
    /// Parses the words after `cove acl`, e.g. `["allow", "deploy:rollback", "role:oncall"]`.
    pub fn parse<S: AsRef<str>>(words: &[S]) -> Result<Self, AclError> {
        let mut words = words.iter().map(AsRef::as_ref);
        let effect_word = words.next().ok_or(AclError::Empty)?;
        let effect = effect_word.parse()?;
        let scope_word = words.next().ok_or_else(|| AclError::MissingScope {
            effect: effect_word.to_owned(),
        })?;
        let scope = Scope::parse(scope_word)?;
        let who = words.next().ok_or_else(|| AclError::MissingWho {
            effect: effect_word.to_owned(),
            scope: scope_word.to_owned(),
        })?;
        let who = Who::parse(who)?;
        if let Some(extra) = words.next() {
            return Err(AclError::Extra(extra.to_owned()));
        }
        Ok(Self { effect, scope, who })
    }
}

impl fmt::Display for Rule {
    /// The canonical CLI form: `allow deploy:rollback role:oncall`, `deny * channel:#random`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.effect, self.scope, self.who)
    }
}

impl FromStr for Rule {
    type Err = AclError;

    /// Parses one line split on whitespace (no quoting is ever needed in a rule).
    fn from_str(line: &str) -> Result<Self, AclError> {
        Self::parse(&line.split_whitespace().collect::<Vec<_>>())
    }
}

impl TryFrom<String> for Rule {
    type Error = AclError;

    fn try_from(line: String) -> Result<Self, AclError> {
        line.parse()
    }
}

impl From<Rule> for String {
    fn from(rule: Rule) -> Self {
        rule.to_string()
    }
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
        (
            "allow deploy:rollback role:oncall",
            "allow deploy:rollback role:oncall",
        ),
        ("DENY '*' channel:#random", "deny * channel:#random"),
        ("deny * 'channel:#random'", "deny * channel:#random"),
        ("allow Deploy user:@Alice", "allow deploy user:Alice"),
        ("allow deploy USER:U0123ABC", "allow deploy user:U0123ABC"),
        ("deny deploy channel:ops", "deny deploy channel:#ops"),
        (
            "deny deploy channel:C0123ABC",
            "deny deploy channel:C0123ABC",
        ),
        (
            "deny deploy channel:#C0123ABC",
            "deny deploy channel:C0123ABC",
        ),
        ("allow * *", "allow * *"),
        (
            "allow Deploy:RollBack ROLE:OnCall",
            "allow deploy:rollback role:oncall",
        ),
        (
            "allow a-1:b-2 user:alice.smith@example.com",
            "allow a-1:b-2 user:alice.smith@example.com",
        ),
        (
            "allow deploy user:@alice:matrix.org",
            "allow deploy user:alice:matrix.org",
        ),
        (
            "allow deploy role:sre_team+1",
            "allow deploy role:sre_team+1",
        ),
        (
            "allow deploy channel:#équipe",
            "allow deploy channel:#équipe",
        ),
    ];

    #[test]
    fn display_is_canonical_and_round_trips() {
        for (line, canonical) in DISPLAY_ROWS {
            let parsed = Rule::parse(&words(line)).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(parsed.to_string(), *canonical, "{line}");
            assert_eq!(
                Rule::parse(&words(canonical)),
                Ok(parsed.clone()),
                "{canonical}"
            );
            assert_eq!(canonical.parse::<Rule>(), Ok(parsed.clone()), "{canonical}");
            let json = serde_json::to_string(&parsed).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(json, format!("\"{canonical}\""));
            let back: Rule = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(back, parsed, "{canonical}");
        }
    }

    #[test]
    fn parsed_values() {
        let rule = Rule::parse(&["deny", "deploy:rollback", "channel:#Random"]);
        let scope = Scope::Command {
            plugin: "deploy".into(),
            command: "rollback".into(),
        };
        let who = Who::Channel("Random".into());
        let effect = Effect::Deny;
        assert_eq!(rule, Ok(Rule { effect, scope, who }));
        assert_eq!(Scope::parse("*"), Ok(Scope::Global));
        assert_eq!(Scope::parse("deploy"), Ok(Scope::Plugin("deploy".into())));
        assert_eq!(Who::parse("*"), Ok(Who::Everyone));
        assert_eq!(Who::parse("user:@bob"), Ok(Who::User("bob".into())));
        assert_eq!(Who::parse("role:OnCall"), Ok(Who::Role("oncall".into())));
    }

    /// (line, which error, the word it names and its message quotes)
    const ERROR_ROWS: &[(&str, &str, &str)] = &[
        ("", "empty", ""),
        ("permit deploy *", "effect", "permit"),
        ("allow", "missing-scope", "allow"),
        ("allow deploy_x *", "scope", "deploy_x"),
        ("allow 1deploy *", "scope", "1deploy"),
        ("allow deploy: *", "scope", "deploy:"),
        ("allow :rollback *", "scope", ":rollback"),
        ("allow deploy:roll:back *", "scope", "deploy:roll:back"),
        ("allow deploy:* *", "scope", "deploy:*"),
        ("allow *:rollback *", "scope", "*:rollback"),
        ("allow deploy", "missing-who", "deploy"),
        ("allow deploy alice", "bare", "alice"),
        ("allow deploy everyone", "bare", "everyone"),
        ("allow deploy group:x", "who", "group:x"),
        ("allow deploy user:", "user", "user:"),
        ("allow deploy 'user:a b'", "user", "user:a b"),
        ("allow deploy user:a*", "user", "user:a*"),
        ("allow deploy user:@@a", "user", "user:@@a"),
        ("allow deploy 'user:a;rm'", "user", "user:a;rm"),
        ("allow deploy channel:##ops", "channel", "channel:##ops"),
        ("allow deploy channel:#", "channel", "channel:#"),
        ("allow deploy role:#ops", "role", "role:#ops"),
        ("allow deploy * extra", "extra", "extra"),
    ];

    fn expected_error(kind: &str, word: &str) -> AclError {
        let (kind, example) = match kind {
            "empty" => return AclError::Empty,
            "effect" => return AclError::Effect(word.into()),
            "missing-scope" => {
                return AclError::MissingScope {
                    effect: word.into(),
                };
            }
            "missing-who" => {
                let (effect, scope) = ("allow".into(), word.into());
                return AclError::MissingWho { effect, scope };
            }
            "scope" => return AclError::Scope(word.into()),
            "bare" => return AclError::BareWho(word.into()),
            "who" => return AclError::Who(word.into()),
            "extra" => return AclError::Extra(word.into()),
            "user" => ("user", "`user:U0123ABC` or `user:alice`"),
            "channel" => ("channel", "`channel:C0123ABC` or `channel:#ops`"),
            _ => ("role", "`role:oncall`"),
        };
        let word = word.to_owned();
        AclError::Name {
            word,
            kind,
            example,
        }
    }

    #[test]
    fn errors_name_the_bad_word_and_the_expected_form() {
        for (line, kind, word) in ERROR_ROWS {
            let error = Rule::parse(&words(line)).expect_err(line);
            assert_eq!(error, expected_error(kind, word), "{line}");
            let message = error.to_string();
            assert!(message.contains(word), "{line}: {message}");
            assert!(message.contains("expected") || message.contains("write"));
        }
    }

    #[test]
    fn names_longer_than_the_limits_are_refused() {
        let rows = [
            (format!("{}:run", "p".repeat(41)), "scope"),
            (format!("deploy:{}", "c".repeat(33)), "scope"),
            (format!("user:{}", "u".repeat(81)), "user"),
        ];
        for (word, kind) in rows {
            let (scope, who) = if kind == "scope" {
                (&*word, "*")
            } else {
                ("deploy", &*word)
            };
            let error = Rule::parse(&["allow", scope, who]).expect_err(&word);
            assert_eq!(error, expected_error(kind, &word));
        }
        let longest = format!(
            "allow {}:{} user:{}",
            "p".repeat(40),
            "c".repeat(32),
            "u".repeat(80)
        );
        assert!(longest.parse::<Rule>().is_ok());
    }

    #[test]
    fn serde_refuses_an_invalid_rule() {
        let error = serde_json::from_str::<Rule>("\"allow deploy alice\"").expect_err("bare");
        assert!(error.to_string().contains("user:alice"), "{error}");
    }
}
