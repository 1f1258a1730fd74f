//! `Cove`: the store, the sandbox and the live plugin registry of one process.

use std::sync::Arc;

use anyhow::Context;

use crate::config::Config;
use crate::manifest::Manifest;
use crate::registry::{LoadedPlugin, Registry};
use crate::sandbox::{InvocationState, PluginContext, PluginPre, Sandbox};
use crate::store::{PluginRecord, Store};

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
        let cove = Arc::new(Cove {
            config,
            store,
            sandbox,
            registry: Registry::default(),
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
                self.install(bytes)
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
        self.activate(&record.name, version.manifest.clone(), &version.hash, pre);
        Ok(compiled)
    }

    /// Puts a linked plugin version into service.
    pub(crate) fn activate(
        &self,
        name: &str,
        manifest: Manifest,
        hash: &str,
        pre: PluginPre<InvocationState>,
    ) {
        let context = Arc::new(PluginContext {
            name: name.into(),
            store: self.store.clone(),
            kv_quota: self.config.limits.kv_quota_bytes,
            config: self.config.plugins.get(name).cloned().unwrap_or_default(),
        });
        let in_flight = self
            .registry
            .gate_for(name, self.config.limits.max_in_flight);
        self.registry.insert(LoadedPlugin {
            hash: hash.to_string(),
            manifest,
            pre,
            context,
            in_flight,
        });
    }
}
