//! Builders and helpers on the WIT records.
//!
//! The records themselves are generated from `wit/plugin.wit`, so they cross the component
//! boundary without conversion; this module only adds constructors that fill in the fields a
//! plugin author rarely wants to spell out.

use crate::{
    Arg, ArgKind, Command, CommandError, InjectionRequest, Invocation, Manifest, Permissions, Reply,
};
use alloc::string::String;
use alloc::vec::Vec;

impl Manifest {
    /// A manifest with no commands and no permission requests yet; add them with
    /// [`Manifest::command`], [`Manifest::host`], [`Manifest::secret`], ….
    ///
    /// `name` must be lowercase letters, digits and `-` and unique in the Cove installation;
    /// passing `env!("CARGO_PKG_VERSION")` as `version` keeps it in step with `Cargo.toml`.
    pub fn new(
        name: impl Into<String>,
        version: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Manifest {
            name: name.into(),
            version: version.into(),
            description: description.into(),
            commands: Vec::new(),
            permissions: Permissions {
                hosts: Vec::new(),
                secrets: Vec::new(),
                injections: Vec::new(),
                channels: Vec::new(),
                webhooks: Vec::new(),
                schedules: Vec::new(),
            },
        }
    }

    /// Adds one command.
    pub fn command(mut self, command: Command) -> Self {
        self.commands.push(command);
        self
    }

    // Permission requests. None of these grants anything: they list what the plugin asks
    // for, `cove plugin info` shows them next to what an admin granted, and everything not
    // granted is refused at run time (and the user told so).

    /// Requests outbound HTTP(S) to hosts matching `pattern`, used by [`crate::http`].
    ///
    /// A pattern is a host name (`api.github.com`), optionally with a `*.` wildcard for
    /// subdomains and a port (`*.example.com:8443`). Only a request: an admin grants it with
    /// `cove grant <plugin> net <pattern>`.
    pub fn host(mut self, pattern: impl Into<String>) -> Self {
        self.permissions.hosts.push(pattern.into());
        self
    }

    /// Requests read access to the secret `name` (e.g. `"API_TOKEN"`) through
    /// [`crate::host::secret`].
    ///
    /// Only a request: an admin grants it with `cove grant <plugin> secret NAME`. Prefer
    /// [`Manifest::inject`] when the secret is only an HTTP credential: the plugin then never
    /// sees it.
    pub fn secret(mut self, name: impl Into<String>) -> Self {
        self.permissions.secrets.push(name.into());
        self
    }

    /// Requests that the host add the secret `name` to every HTTP request the plugin makes to
    /// hosts matching `host_pattern`, as `Authorization: Bearer <secret>`. The plugin never
    /// sees the value and must not set `Authorization` itself.
    ///
    /// Only a request: an admin grants it with
    /// `cove grant <plugin> secret NAME --inject <host>` (plus a `net` grant for the host).
    pub fn inject(self, name: impl Into<String>, host_pattern: impl Into<String>) -> Self {
        self.inject_header(name, host_pattern, "")
    }

    /// Like [`Manifest::inject`], with a header template other than
    /// `Authorization: Bearer {}`: `"X-Api-Key: {}"`, `"Authorization: token {}"`, …; `{}`
    /// stands for the secret's value. An empty template means the bearer default.
    ///
    /// Only a request: an admin grants it with
    /// `cove grant <plugin> secret NAME --inject <host> --header 'X-Api-Key: {}'`.
    pub fn inject_header(
        mut self,
        name: impl Into<String>,
        host_pattern: impl Into<String>,
        header_template: impl Into<String>,
    ) -> Self {
        self.permissions.injections.push(InjectionRequest {
            secret: name.into(),
            host: host_pattern.into(),
            header: header_template.into(),
        });
        self
    }

    /// Requests permission to post to `channel` besides the channel a command came from.
    /// Only a request: an admin decides.
    pub fn post_to(mut self, channel: impl Into<String>) -> Self {
        self.permissions.channels.push(channel.into());
        self
    }

    /// Requests delivery of the webhook `name` to [`Plugin::handle_event`](crate::Plugin::handle_event).
    /// Only a request: an admin decides.
    pub fn webhook(mut self, name: impl Into<String>) -> Self {
        self.permissions.webhooks.push(name.into());
        self
    }

    /// Requests being called on the cron schedule `cron` (e.g. `"0 9 * * 1-5"`) through
    /// [`Plugin::handle_event`](crate::Plugin::handle_event). Only a request: an admin decides.
    pub fn schedule(mut self, cron: impl Into<String>) -> Self {
        self.permissions.schedules.push(cron.into());
        self
    }
}

impl Command {
    /// A command without arguments, usage text or examples.
    ///
    /// `name` is the word users type after the prefix (`!name`): lowercase letters, digits
    /// and `-`. `summary` is the one line shown by `!help`.
    pub fn new(name: impl Into<String>, summary: impl Into<String>) -> Self {
        Command {
            name: name.into(),
            summary: summary.into(),
            usage: String::new(),
            examples: Vec::new(),
            args: Vec::new(),
            dangerous: false,
        }
    }

    /// Adds the next positional argument; only the last one may be [`Arg::rest`].
    pub fn arg(mut self, arg: Arg) -> Self {
        self.args.push(arg);
        self
    }

    /// Sets a free-form usage line, for commands whose syntax the argument list cannot say
    /// (subcommands, for instance). Without it the host renders one from the arguments.
    pub fn usage(mut self, usage: impl Into<String>) -> Self {
        self.usage = usage.into();
        self
    }

    /// Adds a complete example line, prefix included, e.g. `!echo hello`.
    pub fn example(mut self, example: impl Into<String>) -> Self {
        self.examples.push(example.into());
        self
    }

    /// Marks the command as needing an explicit confirmation before the host runs it.
    pub fn dangerous(mut self) -> Self {
        self.dangerous = true;
        self
    }
}

impl Arg {
    fn of_kind(name: impl Into<String>, kind: ArgKind) -> Self {
        Arg {
            name: name.into(),
            description: String::new(),
            kind,
            required: true,
            variadic: false,
        }
    }

    /// A required argument that takes any text.
    pub fn text(name: impl Into<String>) -> Self {
        Self::of_kind(name, ArgKind::Text)
    }

    /// A required argument the host checks is a signed 64-bit decimal integer; read it with
    /// [`Invocation::int`].
    pub fn int(name: impl Into<String>) -> Self {
        Self::of_kind(name, ArgKind::Int)
    }

    /// A required yes/no argument (`true`/`false`, `yes`/`no`, `on`/`off`).
    pub fn flag(name: impl Into<String>) -> Self {
        Self::of_kind(name, ArgKind::Flag)
    }

    /// The command can run without this argument.
    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    /// Takes all remaining words (variadic); only allowed on the last argument.
    pub fn rest(mut self) -> Self {
        self.variadic = true;
        self
    }

    /// Sets the description shown in the command's help.
    pub fn describe(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }
}

impl Reply {
    /// A reply everyone in the channel sees.
    pub fn text(text: impl Into<String>) -> Self {
        Reply {
            text: text.into(),
            ephemeral: false,
        }
    }

    /// A reply only the invoking user sees, where the platform supports that (elsewhere it
    /// is shown like [`Reply::text`]).
    pub fn ephemeral(text: impl Into<String>) -> Self {
        Reply {
            text: text.into(),
            ephemeral: true,
        }
    }
}

impl CommandError {
    /// The arguments were wrong: the host shows `message` followed by the command's usage.
    pub fn usage(message: impl Into<String>) -> Self {
        CommandError::Usage(message.into())
    }

    /// The command ran and did not succeed.
    pub fn failed(message: impl Into<String>) -> Self {
        CommandError::Failed(message.into())
    }

    /// The caller may not do this; `message` should say why.
    pub fn denied(message: impl Into<String>) -> Self {
        CommandError::Denied(message.into())
    }
}

impl Invocation {
    /// The `i`-th argument (0-based) as the host split it, if present.
    pub fn arg(&self, i: usize) -> Option<&str> {
        self.args.get(i).map(String::as_str)
    }

    /// The `i`-th argument parsed as an integer; `None` when absent or not an integer.
    pub fn int(&self, i: usize) -> Option<i64> {
        self.arg(i)?.trim().parse().ok()
    }

    /// The text after the command name exactly as typed (the same as [`Invocation::raw`]),
    /// for commands that want the user's own spacing and quotes.
    pub fn rest(&self) -> &str {
        &self.raw
    }

    /// Whether the invoking user has `role` (as the chat platform or the admin assigned it).
    pub fn has_role(&self, role: &str) -> bool {
        self.user.roles.iter().any(|r| r == role)
    }
}
