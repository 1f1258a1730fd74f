//! Checks a plugin's manifest before anything is stored. Pure: no I/O.
//!
//! Order of checks: plugin name, version, description, command count, then each command
//! (name form, reserved names, duplicates, text sizes, argument specs).
//!
//! | item               | accepted                                              |
//! |--------------------|-------------------------------------------------------|
//! | plugin name        | 1–40 of `a-z 0-9 -`, starting with a letter            |
//! | command name       | 1–32 of `a-z 0-9 -`, starting with a letter; not reserved |
//! | commands           | 1–100 per plugin, names unique within the plugin       |
//! | description, usage | at most 2,000 bytes                                    |
//! | summary, example   | at most 300 bytes; at most 20 examples                 |
//! | arguments          | at most 20; `variadic` only on the last; no required after optional |

use thiserror::Error;

use crate::policy::Grant;
pub use crate::sandbox::bindings::cove::plugin::types::{
    ArgKind, ArgSpec, CommandSpec, InjectionRequest, Manifest, Permissions,
};

/// Command words the host keeps for itself: `!help`, `!cove …`, `!confirm`.
pub const RESERVED_COMMANDS: &[&str] = &["help", "cove", "confirm"];

const MAX_NAME: usize = 40;
const MAX_COMMAND_NAME: usize = 32;
const MAX_COMMANDS: usize = 100;
const MAX_LONG_TEXT: usize = 2_000;
const MAX_SHORT_TEXT: usize = 300;
const MAX_EXAMPLES: usize = 20;
const MAX_ARGS: usize = 20;
/// Permission requests one manifest may make.
const MAX_REQUESTS: usize = 100;

/// Why a manifest was refused; each message names the offending item.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ManifestError {
    #[error(
        "plugin name {0:?} is invalid: use 1-40 lowercase letters, digits or '-', starting with a letter"
    )]
    BadPluginName(String),
    #[error("plugin name {0:?} is reserved")]
    ReservedPluginName(String),
    #[error("version must be 1-64 characters (got {0})")]
    BadVersion(usize),
    #[error("{what} is too long: {len} bytes (at most {max})")]
    TooLong {
        what: String,
        len: usize,
        max: usize,
    },
    #[error("the plugin declares no commands")]
    NoCommands,
    #[error("the plugin declares {0} commands (at most {MAX_COMMANDS})")]
    TooManyCommands(usize),
    #[error("a command has an empty name")]
    EmptyCommandName,
    #[error(
        "command name {0:?} is invalid: use 1-32 lowercase letters, digits or '-', starting with a letter"
    )]
    BadCommandName(String),
    #[error("command name {0:?} is reserved by Cove")]
    ReservedCommand(String),
    #[error("command {0:?} is declared twice")]
    DuplicateCommand(String),
    #[error("command {command:?}: {problem}")]
    BadArgs { command: String, problem: String },
    #[error("the plugin requests {0} permissions (at most {MAX_REQUESTS})")]
    TooManyRequests(usize),
    #[error("requested permission `{request}` is invalid: {problem}")]
    BadRequest { request: String, problem: String },
}

/// Checks every rule in the module table; the first broken one is returned.
pub fn validate(m: &Manifest) -> Result<(), ManifestError> {
    if !is_identifier(&m.name, MAX_NAME) {
        return Err(ManifestError::BadPluginName(shorten(&m.name)));
    }
    if RESERVED_COMMANDS.contains(&m.name.as_str()) {
        return Err(ManifestError::ReservedPluginName(m.name.clone()));
    }
    if m.version.is_empty() || m.version.len() > 64 {
        return Err(ManifestError::BadVersion(m.version.len()));
    }
    check_len("description", &m.description, MAX_LONG_TEXT)?;
    if m.commands.is_empty() {
        return Err(ManifestError::NoCommands);
    }
    if m.commands.len() > MAX_COMMANDS {
        return Err(ManifestError::TooManyCommands(m.commands.len()));
    }
    let mut seen = std::collections::HashSet::new();
    for command in &m.commands {
        validate_command(command)?;
        if !seen.insert(command.name.as_str()) {
            return Err(ManifestError::DuplicateCommand(command.name.clone()));
        }
    }
    requested_grants(m).map(|_| ())
}

fn validate_command(c: &CommandSpec) -> Result<(), ManifestError> {
    if c.name.is_empty() {
        return Err(ManifestError::EmptyCommandName);
    }
    if !is_identifier(&c.name, MAX_COMMAND_NAME) {
        return Err(ManifestError::BadCommandName(shorten(&c.name)));
    }
    if RESERVED_COMMANDS.contains(&c.name.as_str()) {
        return Err(ManifestError::ReservedCommand(c.name.clone()));
    }
    let what = |field: &str| format!("command {:?} {field}", c.name);
    check_len(&what("summary"), &c.summary, MAX_SHORT_TEXT)?;
    check_len(&what("usage"), &c.usage, MAX_LONG_TEXT)?;
    if c.examples.len() > MAX_EXAMPLES {
        return Err(bad_args(
            c,
            format!("{} examples (at most {MAX_EXAMPLES})", c.examples.len()),
        ));
    }
    for example in &c.examples {
        check_len(&what("example"), example, MAX_SHORT_TEXT)?;
    }
    validate_args(c)
}

fn validate_args(c: &CommandSpec) -> Result<(), ManifestError> {
    if c.args.len() > MAX_ARGS {
        return Err(bad_args(
            c,
            format!("{} arguments (at most {MAX_ARGS})", c.args.len()),
        ));
    }
    let mut optional_seen = false;
    for (i, arg) in c.args.iter().enumerate() {
        if arg.name.is_empty() || arg.name.len() > MAX_COMMAND_NAME {
            return Err(bad_args(
                c,
                format!("argument {} needs a name of 1-32 bytes", i + 1),
            ));
        }
        check_len(
            &format!("argument {:?} description", arg.name),
            &arg.description,
            MAX_SHORT_TEXT,
        )?;
        if arg.variadic && i + 1 != c.args.len() {
            return Err(bad_args(
                c,
                format!("only the last argument may be variadic, not {:?}", arg.name),
            ));
        }
        if arg.required && optional_seen {
            return Err(bad_args(
                c,
                format!("required argument {:?} follows an optional one", arg.name),
            ));
        }
        optional_seen |= !arg.required;
    }
    Ok(())
}

fn bad_args(c: &CommandSpec, problem: String) -> ManifestError {
    ManifestError::BadArgs {
        command: c.name.clone(),
        problem,
    }
}

fn check_len(what: &str, text: &str, max: usize) -> Result<(), ManifestError> {
    if text.len() > max {
        return Err(ManifestError::TooLong {
            what: what.to_string(),
            len: text.len(),
            max,
        });
    }
    Ok(())
}

/// True for 1..=`max` bytes of `a-z`, `0-9`, `-`, starting with a letter.
pub fn is_identifier(s: &str, max: usize) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z'))
        && s.len() <= max
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-'))
}

/// Keeps error messages short when a plugin sends a huge name.
fn shorten(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The grants a manifest asks for, in canonical form (`net api.github.com`, …), checked with
/// the same grant language admins use; the first unreadable request is an error.
pub fn requested_grants(m: &Manifest) -> Result<Vec<String>, ManifestError> {
    let p = &m.permissions;
    let mut requests: Vec<Vec<String>> = Vec::new();
    requests.extend(p.hosts.iter().map(|h| vec!["net".into(), h.clone()]));
    requests.extend(p.secrets.iter().map(|s| vec!["secret".into(), s.clone()]));
    for i in &p.injections {
        let mut words = vec![
            "secret".into(),
            i.secret.clone(),
            "--inject".into(),
            i.host.clone(),
        ];
        if !i.header.is_empty() {
            words.extend(["--header".into(), i.header.clone()]);
        }
        requests.push(words);
    }
    requests.extend(p.channels.iter().map(|c| vec!["post".into(), c.clone()]));
    requests.extend(p.webhooks.iter().map(|w| vec!["webhook".into(), w.clone()]));
    requests.extend(
        p.schedules
            .iter()
            .map(|s| vec!["schedule".into(), s.clone()]),
    );
    if requests.len() > MAX_REQUESTS {
        return Err(ManifestError::TooManyRequests(requests.len()));
    }
    requests
        .iter()
        .map(|words| {
            Grant::parse(words)
                .map(|g| g.to_string())
                .map_err(|e| ManifestError::BadRequest {
                    request: shorten(&words.join(" ")),
                    problem: e.to_string(),
                })
        })
        .collect()
}

/// Requested and granted permissions side by side, for `cove plugin info` and `cove grants`.
pub fn render_permissions(plugin: &str, requested: &[String], granted: &[String]) -> String {
    let mut lines = vec![format!("{plugin}: permissions (requested → status)")];
    if requested.is_empty() && granted.is_empty() {
        lines.push("  (asks for nothing; has nothing)".into());
    }
    for request in requested {
        if granted.contains(request) {
            lines.push(format!("  {request:<50} granted"));
        } else {
            lines.push(format!(
                "  {request:<50} pending: cove grant {plugin} {request}"
            ));
        }
    }
    for grant in granted.iter().filter(|g| !requested.contains(g)) {
        lines.push(format!("  {grant:<50} granted (not requested)"));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arg(name: &str, required: bool, variadic: bool) -> ArgSpec {
        ArgSpec {
            name: name.into(),
            description: String::new(),
            kind: ArgKind::Text,
            required,
            variadic,
        }
    }

    fn command(name: &str) -> CommandSpec {
        CommandSpec {
            name: name.into(),
            summary: "does a thing".into(),
            usage: String::new(),
            examples: vec![],
            args: vec![],
            dangerous: false,
        }
    }

    fn manifest(commands: Vec<CommandSpec>) -> Manifest {
        Manifest {
            name: "demo".into(),
            version: "1.0.0".into(),
            description: "d".into(),
            commands,
            permissions: no_permissions(),
        }
    }

    fn no_permissions() -> Permissions {
        Permissions {
            hosts: vec![],
            secrets: vec![],
            injections: vec![],
            channels: vec![],
            webhooks: vec![],
            schedules: vec![],
        }
    }

    #[test]
    fn permission_requests_use_the_grant_language() {
        let mut m = manifest(vec![command("a")]);
        m.permissions.hosts = vec!["api.github.com".into()];
        m.permissions.injections = vec![InjectionRequest {
            secret: "GITHUB_TOKEN".into(),
            host: "api.github.com".into(),
            header: String::new(),
        }];
        let requested = requested_grants(&m).unwrap();
        assert_eq!(requested[0], "net api.github.com");
        assert!(
            requested[1].starts_with("secret GITHUB_TOKEN --inject api.github.com"),
            "{}",
            requested[1]
        );
        let shown = render_permissions("demo", &requested, &["net api.github.com".to_string()]);
        assert!(
            shown.contains("granted")
                && shown.contains("pending: cove grant demo secret GITHUB_TOKEN"),
            "{shown}"
        );
        m.permissions.hosts = vec!["*".into()];
        assert!(matches!(
            validate(&m),
            Err(ManifestError::BadRequest { .. })
        ));
    }

    #[test]
    fn accepts_a_plain_manifest() {
        let mut c = command("deploy");
        c.args = vec![
            arg("service", true, false),
            arg("env", false, false),
            arg("rest", false, true),
        ];
        assert_eq!(validate(&manifest(vec![c, command("status-2")])), Ok(()));
    }

    #[test]
    fn refuses_each_broken_rule() {
        let mut long_desc = manifest(vec![command("a")]);
        long_desc.description = "x".repeat(100_000);
        let mut bad_name = manifest(vec![command("a")]);
        bad_name.name = "Bad Name".into();
        let mut reserved_plugin = manifest(vec![command("a")]);
        reserved_plugin.name = "cove".into();
        let mut no_version = manifest(vec![command("a")]);
        no_version.version.clear();
        let mut variadic_first = command("x");
        variadic_first.args = vec![arg("a", false, true), arg("b", false, false)];
        let mut required_after_optional = command("x");
        required_after_optional.args = vec![arg("a", false, false), arg("b", true, false)];
        let many: Vec<_> = (0..300).map(|i| command(&format!("c{i}"))).collect();

        let cases: Vec<(Manifest, &str)> = vec![
            (manifest(vec![command("")]), "empty name"),
            (
                manifest(vec![command("dup"), command("dup")]),
                "declared twice",
            ),
            (manifest(many), "300 commands"),
            (long_desc, "description is too long: 100000 bytes"),
            (manifest(vec![]), "no commands"),
            (bad_name, "plugin name \"Bad Name\" is invalid"),
            (reserved_plugin, "reserved"),
            (no_version, "version"),
            (manifest(vec![command("help")]), "reserved by Cove"),
            (manifest(vec![command("Deploy")]), "invalid"),
            (manifest(vec![command("a b")]), "invalid"),
            (
                manifest(vec![variadic_first]),
                "only the last argument may be variadic",
            ),
            (
                manifest(vec![required_after_optional]),
                "follows an optional one",
            ),
        ];
        for (m, expected) in cases {
            let err = validate(&m).expect_err(expected).to_string();
            assert!(
                err.contains(expected),
                "{err:?} should contain {expected:?}"
            );
        }
    }

    #[test]
    fn identifiers() {
        for ok in ["a", "echo", "deploy-lock", "a1"] {
            assert!(is_identifier(ok, 40), "{ok}");
        }
        for bad in ["", "1a", "-a", "A", "a_b", "a.b", "ä"] {
            assert!(!is_identifier(bad, 40), "{bad}");
        }
        assert!(!is_identifier(&"a".repeat(41), 40));
    }
}
