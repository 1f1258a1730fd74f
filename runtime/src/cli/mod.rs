//! The `cove` command line. Every error ends the command with one clear sentence on stderr
//! and a non-zero exit status.

mod admin;
mod bench;
mod bench_events;
mod events;
mod plugin;
mod remote;
mod scaffold;
mod serve;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::app::Cove;
use crate::chat::{ReplyKind, console};
use crate::config::{Config, Sources};
use crate::dispatch::Dispatcher;

/// Cove: ChatOps with every plugin in a WebAssembly sandbox.
#[derive(Debug, Parser)]
#[command(name = "cove", version, propagate_version = true)]
struct Cli {
    /// Data directory holding the store [env: COVE_DATA_DIR] [default: ./cove-data]
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Configuration file [default: <data dir>/cove.toml when it exists]
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Run admin commands through the admin API of the server at this address instead of
    /// the store (the default when a server holds the data directory) [env: COVE_SERVER]
    #[arg(long, global = true, env = "COVE_SERVER", value_name = "HOST:PORT")]
    server: Option<SocketAddr>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server: HTTP chat endpoint on --listen, until SIGINT/SIGTERM.
    Serve {
        /// Address to listen on [env: COVE_LISTEN] [default: 127.0.0.1:8080]
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
    },
    /// Chat with Cove in this terminal (user `local`, channel `console`).
    Chat {
        /// User id to chat as.
        #[arg(long, default_value = console::DEFAULT_USER)]
        user: String,
        /// Channel to chat in.
        #[arg(long, default_value = console::DEFAULT_CHANNEL)]
        channel: String,
    },
    /// Send one chat line and print the reply (exit status 1 when the reply is an error).
    Run {
        /// The line, e.g. "!echo hello" (the prefix is optional here).
        line: String,
        /// User id to send as.
        #[arg(long, default_value = console::DEFAULT_USER)]
        user: String,
        /// Channel to send in.
        #[arg(long, default_value = console::DEFAULT_CHANNEL)]
        channel: String,
    },
    /// Install, inspect, roll back and remove plugins; scaffold a new one.
    #[command(subcommand)]
    Plugin(plugin::PluginCommand),
    /// Grant a plugin a permission: `cove grant http-check net status.example.com`.
    Grant(admin::GrantArgs),
    /// Withdraw a permission (same forms as grant); effective on the plugin's next call.
    Revoke(admin::GrantArgs),
    /// Show requested and granted permissions side by side.
    Grants {
        /// Only this plugin.
        plugin: Option<String>,
    },
    /// Set, list and remove secrets (values are encrypted at rest and never shown).
    #[command(subcommand)]
    Secret(admin::SecretCommand),
    /// Read the audit log, or `cove audit verify` its hash chain.
    Audit(admin::AuditArgs),
    /// Manage Cove admins.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Who may run which plugin or command.
    #[command(subcommand)]
    Acl(admin::AclCommand),
    /// Show the effective configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Inbound webhooks and schedule ticks waiting for delivery, or dead-lettered (--failed).
    Events(events::EventsArgs),
    /// Measure the command path on the shared peer workload (echo/sum).
    Bench(bench::BenchArgs),
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print the configuration in force (defaults, file, environment, flags).
    Show,
}

/// Runs the command line and returns the process exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.command);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(anyhow::anyhow!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => fail(e),
    }
}

fn fail(e: anyhow::Error) -> ExitCode {
    eprintln!("error: {e:#}");
    ExitCode::FAILURE
}

/// Logs go to stderr; `COVE_LOG` (or `RUST_LOG`) sets the filter. The server logs `info` by
/// default, one-shot commands only warnings so their output stays clean.
fn init_logging(command: &Command) {
    let default = if matches!(command, Command::Serve { .. }) {
        "info"
    } else {
        "warn"
    };
    let filter = std::env::var("COVE_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| default.to_string());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let listen = match &cli.command {
        Command::Serve { listen } => *listen,
        _ => None,
    };
    let sources = Sources {
        file: cli.config,
        data_dir: cli.data_dir,
        listen,
    };
    let config = Config::load(&sources)?;
    let server = cli.server;
    match cli.command {
        Command::Config(ConfigCommand::Show) => {
            print!(
                "{}",
                toml::to_string_pretty(&config).context("cannot render the configuration")?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Plugin(plugin::PluginCommand::New(args)) => scaffold::run(args),
        Command::Serve { .. } => serve::run(open(config).await?).await,
        Command::Chat { user, channel } => {
            let dispatcher = open(config).await?;
            dispatcher
                .cove()
                .outbox
                .register(std::sync::Arc::new(console::ConsolePosts));
            console::repl(&dispatcher, &user, &channel).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Run {
            line,
            user,
            channel,
        } => {
            let dispatcher = open(config).await?;
            let replies = dispatcher
                .handle(&console::message(&line, &user, &channel))
                .await;
            for reply in &replies {
                print!("{}", console::render(reply));
            }
            let all_ok = replies.iter().all(|r| r.kind == ReplyKind::Ok);
            Ok(if all_ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Plugin(command) => {
            plugin::run(command, &open_or_remote(config, server).await?).await
        }
        Command::Grant(args) => {
            admin::change_grant(&open_or_remote(config, server).await?, args, true)
        }
        Command::Revoke(args) => {
            admin::change_grant(&open_or_remote(config, server).await?, args, false)
        }
        Command::Grants { plugin } => admin::grants(&open_or_remote(config, server).await?, plugin),
        Command::Secret(command) => admin::secret(&open_or_remote(config, server).await?, command),
        Command::Audit(args) => admin::audit(&open_or_remote(config, server).await?, args),
        Command::Admin(command) => admin::admin(&open_or_remote(config, server).await?, command),
        Command::Acl(command) => admin::acl(&open_or_remote(config, server).await?, command),
        Command::Events(args) => events::run(&open_or_remote(config, server).await?, args),
        Command::Bench(args) => bench::run(args, config).await,
    }
}

/// Where an admin command runs: on the store directly, or through a running server.
pub enum Opened {
    Local(Arc<Dispatcher>),
    Remote(remote::Remote),
}

/// The admin API of `server` when given; else the store, or, when `cove serve` holds it,
/// that server's admin API.
async fn open_or_remote(config: Config, server: Option<SocketAddr>) -> anyhow::Result<Opened> {
    if server.is_some() {
        return Ok(Opened::Remote(remote::Remote::new(&config, server)?));
    }
    let remote_config = config.clone();
    match open(config).await {
        Ok(dispatcher) => Ok(Opened::Local(dispatcher)),
        Err(e) if e.downcast_ref::<crate::store::StoreInUse>().is_some() => {
            Ok(Opened::Remote(remote::Remote::new(&remote_config, None)?))
        }
        Err(e) => Err(e),
    }
}

/// Opens the store (seeding a new one) and loads the plugins.
async fn open(config: Config) -> anyhow::Result<Arc<Dispatcher>> {
    let (cove, _) = Cove::open(config).await?;
    Ok(Arc::new(Dispatcher::new(cove)))
}
