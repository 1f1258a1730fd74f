//! Configuration: built-in defaults, then `cove.toml`, then `COVE_*` environment variables.
//!
//! | key (`cove.toml`)          | environment              | default          |
//! |----------------------------|--------------------------|------------------|
//! | `data_dir`                 | `COVE_DATA_DIR`          | `./cove-data`    |
//! | `listen`                   | `COVE_LISTEN`            | `127.0.0.1:8080` |
//! | `prefix`                   | `COVE_PREFIX`            | `!`              |
//! | `limits.max_plugin_bytes`  | `COVE_MAX_PLUGIN_BYTES`  | 32 MiB           |
//! | `limits.memory_bytes`      | `COVE_MEMORY_BYTES`      | 64 MiB           |
//! | `limits.deadline_ms`       | `COVE_DEADLINE_MS`       | 10 000           |
//! | `limits.manifest_deadline_ms` | `COVE_MANIFEST_DEADLINE_MS` | 5 000     |
//! | `limits.reply_bytes`       | `COVE_REPLY_BYTES`       | 64 KiB           |
//! | `limits.max_in_flight`     | `COVE_MAX_IN_FLIGHT`     | 8                |
//! | `limits.kv_quota_bytes`    | `COVE_KV_QUOTA_BYTES`    | 1 MiB            |
//! | `access.admins`            | `COVE_ADMINS` (comma-separated) | none      |
//! | `access.default`           | `COVE_ACL_DEFAULT`       | `allow`          |
//! | `access.roles.<role>`      | –                        | none             |
//! | `egress.max_requests`      | –                        | 20 per invocation |
//! | `egress.connect_timeout_ms` / `first_byte_timeout_ms` | – | 5 000 / 10 000 |
//! | `egress.max_body_bytes`    | –                        | 10 MiB           |
//! | `egress.hosts.<name>`      | `COVE_EGRESS_HOSTS` (`name=ip,…`) | system DNS |
//! | `slack.bot_token`          | `SLACK_BOT_TOKEN`        | none (Slack off) |
//! | `slack.app_token`          | `SLACK_APP_TOKEN`        | none             |
//! | `slack.signing_secret`     | `SLACK_SIGNING_SECRET`   | none             |
//! | `slack.mode`               | `COVE_SLACK_MODE` (`socket`/`events`) | `socket` when an app token is set |
//! | `slack.api_url`            | `COVE_SLACK_API_URL`     | `https://slack.com/api/` |
//! | `slack.admin_channel`      | `COVE_SLACK_ADMIN_CHANNEL` | none           |
//! | `events.max_body_bytes`    | `COVE_WEBHOOK_MAX_BYTES` | 1 MiB            |
//! | `events.max_attempts`      | `COVE_EVENT_MAX_ATTEMPTS`| 5                |
//! | `events.retry_base_ms`     | `COVE_EVENT_RETRY_MS`    | 2 000 (doubles per attempt) |
//! | `events.concurrency`       | `COVE_EVENT_CONCURRENCY` | 2                |
//! | `events.token_hooks`       | `COVE_WEBHOOK_TOKEN_HOOKS` (comma-separated `plugin/hook`) | none |
//!
//! The secrets master key is never part of the configuration (so `config show` cannot print
//! it): it comes from `COVE_MASTER_KEY` or the data directory's `master.key`.
//!
//! Per-plugin settings live under `[plugins.<name>]` in the file.
//!
//! The file is `--config PATH`, or `cove.toml` inside the data directory when it exists.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

/// The effective configuration of one Cove process.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Directory holding the sled database.
    pub data_dir: PathBuf,
    /// Address of the HTTP server (`cove serve`).
    pub listen: SocketAddr,
    /// What a chat message starts with to be a command.
    pub prefix: String,
    /// Sandbox and storage limits.
    pub limits: Limits,
    /// Per-plugin settings answered by `host.config(key)`: `[plugins.<name>] key = "value"`.
    pub plugins: BTreeMap<String, BTreeMap<String, String>>,
    /// Admins, roles and the default for commands no rule covers.
    pub access: Access,
    /// Limits and name overrides for plugins' outbound HTTP.
    pub egress: Egress,
    /// The Slack connection (off unless a bot token is set).
    pub slack: Slack,
    /// Inbound webhooks and schedules.
    pub events: Events,
}

/// How Cove receives Slack events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlackMode {
    /// Socket Mode: Cove opens a websocket to Slack; no public URL needed.
    Socket,
    /// Events API: Slack POSTs to `/slack/*` on the `--listen` address.
    Events,
}

/// Slack settings. Tokens are shown as `(set)` by `cove config show`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Slack {
    /// `xoxb-…`: the bot token for the Web API.
    #[serde(serialize_with = "hidden")]
    pub bot_token: Option<String>,
    /// `xapp-…`: the app-level token for Socket Mode.
    #[serde(serialize_with = "hidden")]
    pub app_token: Option<String>,
    /// Verifies that Events API requests come from Slack.
    #[serde(serialize_with = "hidden")]
    pub signing_secret: Option<String>,
    /// Socket Mode or Events API; socket when an app token is set.
    pub mode: Option<SlackMode>,
    /// The Web API base URL (tests point it at a fake Slack).
    pub api_url: String,
    /// Channel (name or id) where admins are asked to grant what new plugins request.
    pub admin_channel: Option<String>,
}

impl Default for Slack {
    fn default() -> Self {
        Slack {
            bot_token: None,
            app_token: None,
            signing_secret: None,
            mode: None,
            api_url: "https://slack.com/api/".into(),
            admin_channel: None,
        }
    }
}

impl Slack {
    /// The mode in force: the configured one, else socket when an app token is set.
    pub fn effective_mode(&self) -> SlackMode {
        self.mode.unwrap_or(if self.app_token.is_some() {
            SlackMode::Socket
        } else {
            SlackMode::Events
        })
    }
}

/// Shows whether a secret setting is present without showing it.
fn hidden<S: serde::Serializer>(value: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(_) => s.serialize_some("(set)"),
        None => s.serialize_none(),
    }
}

/// Inbound webhooks and schedules, delivered to plugins' `handle-event`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Events {
    /// Largest webhook body accepted; larger requests get `413`.
    pub max_body_bytes: u64,
    /// Delivery attempts before an event is dead-lettered.
    pub max_attempts: u32,
    /// Delay before the first retry; it doubles with each further attempt.
    pub retry_base_ms: u64,
    /// Deliveries running at once: the rest of the CPU stays with chat commands.
    pub concurrency: u32,
    /// Hooks (`plugin/hook`) that also accept `Authorization: Bearer <secret>`, for senders
    /// that cannot sign (Alertmanager). Weaker: no body signature, no replay defence.
    pub token_hooks: Vec<String>,
}

impl Default for Events {
    fn default() -> Self {
        Events {
            max_body_bytes: 1 << 20,
            max_attempts: 5,
            retry_base_ms: 2_000,
            concurrency: 2,
            token_hooks: Vec::new(),
        }
    }
}

/// Who administers Cove, and users' roles.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Access {
    /// User ids or names that may run admin commands (more with `cove admin add`).
    pub admins: Vec<String>,
    /// Role name → user ids or names.
    pub roles: BTreeMap<String, Vec<String>>,
    /// Whether commands no rule covers are allowed.
    pub default: crate::policy::acl::Effect,
}

/// Outbound HTTP of plugins.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Egress {
    /// Requests one invocation may make.
    pub max_requests: u32,
    /// Time to connect (TCP and TLS), bounded by the invocation's deadline.
    pub connect_timeout_ms: u64,
    /// Time to the response head, bounded by the invocation's deadline.
    pub first_byte_timeout_ms: u64,
    /// Largest response body a plugin receives.
    pub max_body_bytes: u64,
    /// Fixed answers for names, instead of the system resolver (tests, air-gapped sites).
    pub hosts: BTreeMap<String, Vec<IpAddr>>,
}

impl Default for Egress {
    fn default() -> Self {
        Egress {
            max_requests: 20,
            connect_timeout_ms: 5_000,
            first_byte_timeout_ms: 10_000,
            max_body_bytes: 10 << 20,
            hosts: BTreeMap::new(),
        }
    }
}

/// Resource limits applied to every plugin.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest `.wasm` accepted by `plugin install`.
    pub max_plugin_bytes: u64,
    /// Linear memory one invocation may grow to.
    pub memory_bytes: u64,
    /// Wall-clock time one command or event may run.
    pub deadline_ms: u64,
    /// Wall-clock time `manifest()` may take at install.
    pub manifest_deadline_ms: u64,
    /// Longest reply text; longer replies are cut with a visible marker.
    pub reply_bytes: u64,
    /// Invocations of one plugin running at once; more wait their turn.
    pub max_in_flight: u32,
    /// Bytes (keys + values) one plugin may keep in its kv store.
    pub kv_quota_bytes: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./cove-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            prefix: "!".to_string(),
            limits: Limits::default(),
            plugins: BTreeMap::new(),
            access: Access::default(),
            egress: Egress::default(),
            slack: Slack::default(),
            events: Events::default(),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_plugin_bytes: 32 << 20,
            memory_bytes: 64 << 20,
            deadline_ms: 10_000,
            manifest_deadline_ms: 5_000,
            reply_bytes: 64 << 10,
            max_in_flight: 8,
            kv_quota_bytes: 1 << 20,
        }
    }
}

/// Where the configuration comes from, besides defaults and the environment.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    /// `--config PATH`; when absent, `<data dir>/cove.toml` is read if it exists.
    pub file: Option<PathBuf>,
    /// `--data-dir`, which wins over the file and `COVE_DATA_DIR`.
    pub data_dir: Option<PathBuf>,
    /// `--listen`, which wins over the file and `COVE_LISTEN`.
    pub listen: Option<SocketAddr>,
}

impl Config {
    /// Builds the effective configuration from `sources` and the process environment.
    pub fn load(sources: &Sources) -> anyhow::Result<Config> {
        Self::load_with_env(sources, |key| std::env::var(key).ok())
    }

    /// Like [`Config::load`], reading variables through `env` (tests pass a map).
    pub fn load_with_env(
        sources: &Sources,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Config> {
        let data_dir = sources
            .data_dir
            .clone()
            .or_else(|| env("COVE_DATA_DIR").map(PathBuf::from));
        let file = sources.file.clone().or_else(|| {
            let dir = data_dir
                .clone()
                .unwrap_or_else(|| Config::default().data_dir);
            let candidate = dir.join("cove.toml");
            candidate.exists().then_some(candidate)
        });
        let mut config = match &file {
            Some(path) => Self::from_file(path)?,
            None => Config::default(),
        };
        config.apply_env(&env)?;
        if let Some(dir) = data_dir {
            config.data_dir = dir;
        }
        if let Some(listen) = sources.listen {
            config.listen = listen;
        }
        config.validate()?;
        Ok(config)
    }

    fn from_file(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
    }

    fn apply_env(&mut self, env: &impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(v) = env("COVE_LISTEN") {
            self.listen = v.parse().with_context(|| {
                format!("COVE_LISTEN={v:?} is not an address like 127.0.0.1:8080")
            })?;
        }
        if let Some(v) = env("COVE_PREFIX") {
            self.prefix = v;
        }
        if let Some(v) = env("COVE_ADMINS") {
            self.access.admins = comma_list(&v);
        }
        if let Some(v) = env("COVE_ACL_DEFAULT") {
            self.access.default = v
                .parse()
                .map_err(|_| anyhow::anyhow!("COVE_ACL_DEFAULT={v:?} must be allow or deny"))?;
        }
        if let Some(v) = env("COVE_EGRESS_HOSTS") {
            self.egress.hosts = parse_hosts(&v)?;
        }
        self.apply_slack_env(env)?;
        let limits = &mut self.limits;
        let numeric: [(&str, &mut u64); 6] = [
            ("COVE_MAX_PLUGIN_BYTES", &mut limits.max_plugin_bytes),
            ("COVE_MEMORY_BYTES", &mut limits.memory_bytes),
            ("COVE_DEADLINE_MS", &mut limits.deadline_ms),
            (
                "COVE_MANIFEST_DEADLINE_MS",
                &mut limits.manifest_deadline_ms,
            ),
            ("COVE_REPLY_BYTES", &mut limits.reply_bytes),
            ("COVE_KV_QUOTA_BYTES", &mut limits.kv_quota_bytes),
        ];
        for (key, slot) in numeric {
            if let Some(v) = env(key) {
                *slot = parse_number(key, &v)?;
            }
        }
        if let Some(v) = env("COVE_WEBHOOK_MAX_BYTES") {
            self.events.max_body_bytes = parse_number("COVE_WEBHOOK_MAX_BYTES", &v)?;
        }
        if let Some(v) = env("COVE_WEBHOOK_TOKEN_HOOKS") {
            self.events.token_hooks = comma_list(&v);
        }
        if let Some(v) = env("COVE_EVENT_RETRY_MS") {
            self.events.retry_base_ms = parse_number("COVE_EVENT_RETRY_MS", &v)?;
        }
        for (key, slot) in [
            ("COVE_EVENT_MAX_ATTEMPTS", &mut self.events.max_attempts),
            ("COVE_EVENT_CONCURRENCY", &mut self.events.concurrency),
        ] {
            if let Some(v) = env(key) {
                *slot = u32::try_from(parse_number(key, &v)?)
                    .with_context(|| format!("{key} is too large"))?;
            }
        }
        if let Some(v) = env("COVE_MAX_IN_FLIGHT") {
            limits.max_in_flight = u32::try_from(parse_number("COVE_MAX_IN_FLIGHT", &v)?)
                .context("COVE_MAX_IN_FLIGHT is too large")?;
        }
        Ok(())
    }

    fn apply_slack_env(&mut self, env: &impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        let slack = &mut self.slack;
        let texts: [(&str, &mut Option<String>); 4] = [
            ("SLACK_BOT_TOKEN", &mut slack.bot_token),
            ("SLACK_APP_TOKEN", &mut slack.app_token),
            ("SLACK_SIGNING_SECRET", &mut slack.signing_secret),
            ("COVE_SLACK_ADMIN_CHANNEL", &mut slack.admin_channel),
        ];
        for (key, slot) in texts {
            if let Some(v) = env(key).filter(|v| !v.trim().is_empty()) {
                *slot = Some(v.trim().to_string());
            }
        }
        if let Some(v) = env("COVE_SLACK_API_URL") {
            slack.api_url = v;
        }
        if let Some(v) = env("COVE_SLACK_MODE") {
            slack.mode = Some(match v.trim() {
                "socket" => SlackMode::Socket,
                "events" => SlackMode::Events,
                _ => bail!("COVE_SLACK_MODE={v:?} must be socket or events"),
            });
        }
        Ok(())
    }

    fn validate(&self) -> anyhow::Result<()> {
        let slack = &self.slack;
        if slack.bot_token.is_some() {
            let url = url::Url::parse(&slack.api_url)
                .with_context(|| format!("slack.api_url {:?} is not a URL", slack.api_url))?;
            if !matches!(url.scheme(), "http" | "https") {
                bail!("slack.api_url must be an http or https URL");
            }
            let (app, secret) = (slack.app_token.is_some(), slack.signing_secret.is_some());
            match (slack.mode, app, secret) {
                (None, false, false) => bail!(
                    "SLACK_BOT_TOKEN is set, but Slack also needs SLACK_APP_TOKEN (Socket Mode) \
                     or SLACK_SIGNING_SECRET with COVE_SLACK_MODE=events"
                ),
                (Some(SlackMode::Socket), false, _) => {
                    bail!("Slack Socket Mode needs SLACK_APP_TOKEN (or set COVE_SLACK_MODE=events)")
                }
                (Some(SlackMode::Events), _, false) => {
                    bail!("the Slack Events API needs SLACK_SIGNING_SECRET to verify requests")
                }
                _ => {}
            }
        }
        let l = &self.limits;
        if self.prefix.is_empty() || self.prefix.chars().any(char::is_whitespace) {
            bail!(
                "prefix must be non-empty and contain no spaces (got {:?})",
                self.prefix
            );
        }
        if l.memory_bytes < 1 << 20 || l.memory_bytes > 4 << 30 {
            bail!("limits.memory_bytes must be between 1 MiB and 4 GiB");
        }
        if l.deadline_ms == 0 || l.manifest_deadline_ms == 0 {
            bail!("deadlines must be at least 1 ms");
        }
        if l.max_in_flight == 0 {
            bail!("limits.max_in_flight must be at least 1");
        }
        if self.events.max_attempts == 0 || self.events.concurrency == 0 {
            bail!("events.max_attempts and events.concurrency must be at least 1");
        }
        if l.reply_bytes < 64 {
            bail!("limits.reply_bytes must be at least 64");
        }
        Ok(())
    }
}

/// `name=ip,name=ip` (a name may repeat for several addresses).
fn parse_hosts(text: &str) -> anyhow::Result<BTreeMap<String, Vec<IpAddr>>> {
    let mut hosts: BTreeMap<String, Vec<IpAddr>> = BTreeMap::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, ip) = pair
            .split_once('=')
            .with_context(|| format!("COVE_EGRESS_HOSTS entry {pair:?} is not name=address"))?;
        let ip: IpAddr = ip
            .trim()
            .parse()
            .with_context(|| format!("COVE_EGRESS_HOSTS: {ip:?} is not an IP address"))?;
        hosts
            .entry(name.trim().to_ascii_lowercase())
            .or_default()
            .push(ip);
    }
    Ok(hosts)
}

/// `a, b,c` → `["a", "b", "c"]`, empty items dropped.
fn comma_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(String::from)
        .collect()
}

fn parse_number(key: &str, value: &str) -> anyhow::Result<u64> {
    value
        .trim()
        .replace('_', "")
        .parse()
        .with_context(|| format!("{key}={value:?} is not a whole number"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)], sources: Sources) -> anyhow::Result<Config> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load_with_env(&sources, |k| map.get(k).cloned())
    }

    #[test]
    fn defaults_match_the_documented_table() {
        let c = load(&[], Sources::default()).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.limits.max_plugin_bytes, 32 << 20);
        assert_eq!(c.limits.memory_bytes, 64 << 20);
        assert_eq!(c.limits.deadline_ms, 10_000);
        assert_eq!(c.limits.reply_bytes, 64 << 10);
        assert_eq!(c.limits.max_in_flight, 8);
        assert_eq!(c.limits.kv_quota_bytes, 1 << 20);
    }

    #[test]
    fn environment_overrides_file_and_flags_override_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cove.toml");
        std::fs::write(&file, "prefix = \"?\"\n[limits]\ndeadline_ms = 500\n").unwrap();
        let sources = Sources {
            file: Some(file),
            listen: Some("127.0.0.1:9999".parse().unwrap()),
            ..Sources::default()
        };
        let c = load(
            &[("COVE_DEADLINE_MS", "250"), ("COVE_LISTEN", "127.0.0.1:1")],
            sources,
        )
        .unwrap();
        assert_eq!(c.prefix, "?");
        assert_eq!(c.limits.deadline_ms, 250);
        assert_eq!(c.listen.port(), 9999);
    }

    #[test]
    fn bad_values_are_named_in_the_error() {
        let err = load(&[("COVE_MEMORY_BYTES", "lots")], Sources::default()).unwrap_err();
        assert!(format!("{err:#}").contains("COVE_MEMORY_BYTES"), "{err:#}");
        let err = load(&[("COVE_MAX_IN_FLIGHT", "0")], Sources::default()).unwrap_err();
        assert!(format!("{err:#}").contains("max_in_flight"), "{err:#}");
    }

    #[test]
    fn slack_settings_come_from_the_environment_and_are_hidden_when_shown() {
        let c = load(&[], Sources::default()).unwrap();
        assert!(c.slack.bot_token.is_none());
        let c = load(
            &[
                ("SLACK_BOT_TOKEN", "xoxb-1"),
                ("SLACK_APP_TOKEN", "xapp-1"),
                ("COVE_SLACK_API_URL", "http://127.0.0.1:9/api/"),
            ],
            Sources::default(),
        )
        .unwrap();
        assert_eq!(c.slack.effective_mode(), SlackMode::Socket);
        assert_eq!(c.slack.api_url, "http://127.0.0.1:9/api/");
        let shown = toml::to_string(&c).unwrap();
        assert!(shown.contains("bot_token = \"(set)\""), "{shown}");
        assert!(
            !shown.contains("xoxb-1") && !shown.contains("xapp-1"),
            "{shown}"
        );
        let err = load(
            &[("SLACK_BOT_TOKEN", "xoxb-1"), ("COVE_SLACK_MODE", "events")],
            Sources::default(),
        )
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("SLACK_SIGNING_SECRET"),
            "{err:#}"
        );
        let err = load(&[("SLACK_BOT_TOKEN", "xoxb-1")], Sources::default()).unwrap_err();
        assert!(format!("{err:#}").contains("SLACK_APP_TOKEN"), "{err:#}");
        let err = load(&[("COVE_SLACK_MODE", "carrier-pigeon")], Sources::default()).unwrap_err();
        assert!(format!("{err:#}").contains("COVE_SLACK_MODE"), "{err:#}");
    }

    #[test]
    fn event_settings_have_defaults_and_overrides() {
        let c = load(&[], Sources::default()).unwrap();
        assert_eq!(c.events.max_body_bytes, 1 << 20);
        assert_eq!((c.events.max_attempts, c.events.retry_base_ms), (5, 2_000));
        assert_eq!(c.events.concurrency, 2);
        let c = load(
            &[
                ("COVE_WEBHOOK_MAX_BYTES", "1024"),
                ("COVE_EVENT_MAX_ATTEMPTS", "3"),
                ("COVE_EVENT_RETRY_MS", "50"),
                ("COVE_EVENT_CONCURRENCY", "4"),
                ("COVE_WEBHOOK_TOKEN_HOOKS", "alerts/alertmanager, ,x/y"),
            ],
            Sources::default(),
        )
        .unwrap();
        assert_eq!(c.events.max_body_bytes, 1024);
        assert_eq!((c.events.max_attempts, c.events.retry_base_ms), (3, 50));
        assert_eq!(c.events.concurrency, 4);
        assert_eq!(c.events.token_hooks, ["alerts/alertmanager", "x/y"]);
        let err = load(&[("COVE_EVENT_MAX_ATTEMPTS", "0")], Sources::default()).unwrap_err();
        assert!(format!("{err:#}").contains("max_attempts"), "{err:#}");
    }

    #[test]
    fn unknown_keys_in_the_file_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cove.toml");
        std::fs::write(&file, "prefx = \"?\"\n").unwrap();
        let err = load(
            &[],
            Sources {
                file: Some(file),
                ..Sources::default()
            },
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("prefx"), "{err:#}");
    }
}
