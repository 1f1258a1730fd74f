//! `Cove`: the store, the sandbox, the permission gate and the live plugin registry of one
//! process.

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use anyhow::Context;

use crate::audit::AuditLog;
use crate::chat::outbox::Outbox;
use crate::config::Config;
use crate::egress::{EgressLimits, EgressShared, StaticResolver, SystemResolver};
use crate::metrics::Metrics;
use crate::permissions::Permissions;
use crate::policy::acl::Acl;
use crate::policy::confirm::Confirmations;
use crate::registry::{LoadedPlugin, Registry};
use crate::sandbox::{InvocationState, PluginContext, PluginPre, Sandbox};
use crate::store::{MasterKey, PluginRecord, Store};

/// Metadata key set once the first-party plugins have been installed into a new store.
const SEEDED_KEY: &str = "first-party-seeded";

/// Everything one Cove process serves from.
pub struct Cove {
    /// The effective configuration.
    pub config: Config,
    /// The durable store.
    pub store: Store,
    /// The wasmtime engine and host imports.
    pub sandbox: Sandbox,
    /// Plugins serving commands now.
    pub registry: Registry,
    /// Grants and secrets, checked at every use.
    pub permissions: Arc<Permissions>,
    /// The outbound HTTP path of plugins.
    pub egress: Arc<EgressShared>,
    /// The audit log.
    pub audit: AuditLog,
    /// Who may run what (stored rules plus the configured admins).
    pub access: RwLock<Acl>,
    /// Dangerous commands waiting for `!confirm`.
    pub confirmations: Mutex<Confirmations>,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Plugins' posts on their way to the chat adapters.
    pub outbox: Outbox,
    /// Names of plugins just installed or upgraded, for adapters that ask admins to grant
    /// what a new version requests (Slack's admin channel).
    pub installs: tokio::sync::broadcast::Sender<String>,
    /// Inbound webhooks and schedule ticks waiting for delivery.
    pub events: crate::events::Queue,
}

/// What loading the installed plugins at start-up did.
#[derive(Debug, Default, Clone, Copy)]
pub struct LoadReport {
    /// Plugins now serving.
    pub plugins: usize,
    /// Components compiled now (not found in the artifact cache).
    pub compiled: usize,
    /// Components loaded from the artifact cache.
    pub cached: usize,
}

impl Cove {
    /// Opens the store in the configured data directory, installs the first-party plugins
    /// into a new store, and loads every installed plugin.
    pub async fn open(config: Config) -> anyhow::Result<(Arc<Cove>, LoadReport)> {
        let store = Store::open(&config.data_dir)?;
        let sandbox = Sandbox::new(&config.limits)?;
        let key = MasterKey::load(
            &config.data_dir,
            std::env::var("COVE_MASTER_KEY").ok().as_deref(),
        )?;
        let permissions = Arc::new(Permissions::new(store.clone(), key));
        let metrics = Arc::new(Metrics::default());
        let egress = Arc::new(EgressShared {
            permissions: permissions.clone(),
            resolver: Arc::new(StaticResolver::new(
                config.egress.hosts.clone(),
                SystemResolver,
            )),
            limits: EgressLimits {
                max_requests: config.egress.max_requests,
                connect: Duration::from_millis(config.egress.connect_timeout_ms),
                first_byte: Duration::from_millis(config.egress.first_byte_timeout_ms),
                max_body_bytes: config.egress.max_body_bytes,
            },
            metrics: metrics.clone(),
        });
        let access = RwLock::new(effective_acl(&config, store.acl()?));
        let cove = Arc::new(Cove {
            audit: AuditLog::new(store.clone())?,
            events: crate::events::Queue::new(store.clone()),
            config,
            store,
            sandbox,
            registry: Registry::default(),
            permissions,
            egress,
            access,
            confirmations: Mutex::new(Confirmations::new()),
            metrics,
            outbox: Outbox::start(),
            installs: tokio::sync::broadcast::channel(64).0,
        });
        let report = cove.load_all()?;
        if cove.store.meta(SEEDED_KEY)?.is_none() {
            cove.seed_first_party().await?;
        }
        let report = LoadReport {
            plugins: cove.registry.snapshot().plugins().count(),
            ..report
        };
        tracing::info!(
            plugins = report.plugins,
            compiled = report.compiled,
            from_cache = report.cached,
            "loaded {} plugins ({} compiled, {} from cache)",
            report.plugins,
            report.compiled,
            report.cached
        );
        Ok((cove, report))
    }

    async fn seed_first_party(&self) -> anyhow::Result<()> {
        if self.store.plugins()?.is_empty() {
            for (file, bytes) in crate::first_party::PLUGINS {
                self.install(bytes, &crate::install::Uploader::cli())
                    .await
                    .with_context(|| format!("cannot install the built-in plugin {file}"))?;
            }
        }
        self.store.set_meta(SEEDED_KEY, b"1")
    }

    fn load_all(&self) -> anyhow::Result<LoadReport> {
        let mut report = LoadReport::default();
        for record in self.store.plugins()? {
            match self.load_plugin(&record) {
                Ok(true) => report.compiled += 1,
                Ok(false) => report.cached += 1,
                Err(e) => tracing::error!(plugin = %record.name, "cannot load plugin: {e:#}"),
            }
        }
        Ok(report)
    }

    /// Loads the active version of `record` into the registry; true when it was compiled.
    pub(crate) fn load_plugin(&self, record: &PluginRecord) -> anyhow::Result<bool> {
        let version = record.active_version();
        let (component, compiled) =
            self.sandbox
                .load_component(&self.store, &version.hash, || {
                    self.store.blob(&version.hash)
                })?;
        let pre = self.sandbox.prepare(&component)?;
        self.activate(record, pre);
        Ok(compiled)
    }

    /// Puts the active version of `record`, linked as `pre`, into service.
    pub(crate) fn activate(&self, record: &PluginRecord, pre: PluginPre<InvocationState>) {
        let name = record.name.as_str();
        let version = record.active_version();
        let context = Arc::new(PluginContext {
            name: name.into(),
            store: self.store.clone(),
            kv_quota: self.config.limits.kv_quota_bytes,
            config: self.config.plugins.get(name).cloned().unwrap_or_default(),
            permissions: self.permissions.clone(),
            egress: self.egress.clone(),
            approved: record.active_is_approved(),
            outbox: self.outbox.clone(),
        });
        let in_flight = self
            .registry
            .gate_for(name, self.config.limits.max_in_flight);
        self.registry.insert(LoadedPlugin {
            hash: version.hash.clone(),
            manifest: version.manifest.clone(),
            pre,
            context,
            in_flight,
        });
    }
}

/// The stored access list with the configured admins and default applied on top.
pub fn effective_acl(config: &Config, stored: Option<Acl>) -> Acl {
    let mut acl = stored.unwrap_or_else(|| Acl {
        default: config.access.default,
        ..Acl::default()
    });
    acl.admins.extend(config.access.admins.iter().cloned());
    acl
}
