//! The plugins that serve commands right now, and which plugin owns which command name.
//!
//! The catalog is an immutable snapshot behind an `Arc`: a lookup clones the `Arc` and never
//! waits for an install; an install builds a new snapshot and swaps it in, so the new version
//! serves the next invocation while running ones finish on the old one.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use tokio::sync::Semaphore;

use crate::manifest::{CommandSpec, Manifest};
use crate::sandbox::{InvocationState, PluginContext, PluginPre};

/// One plugin version, linked and ready to instantiate.
pub struct LoadedPlugin {
    /// sha256 of the component.
    pub hash: String,
    /// What the component's `manifest()` returned at install.
    pub manifest: Manifest,
    /// Pre-linked component: instantiation per invocation skips all import resolution.
    pub pre: PluginPre<InvocationState>,
    /// Host-side context shared by all invocations of this plugin.
    pub context: Arc<PluginContext>,
    /// Invocations in flight; shared across versions of the same plugin name.
    pub in_flight: Arc<Semaphore>,
}

impl LoadedPlugin {
    /// The manifest name.
    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    /// The spec of `command`, if this plugin offers it.
    pub fn command(&self, command: &str) -> Option<&CommandSpec> {
        self.manifest.commands.iter().find(|c| c.name == command)
    }
}

/// An immutable view of every loaded plugin.
#[derive(Default)]
pub struct Catalog {
    plugins: BTreeMap<String, Arc<LoadedPlugin>>,
    /// Command name → names of the plugins offering it (sorted).
    commands: HashMap<String, Vec<String>>,
}

impl Catalog {
    /// Every loaded plugin, by name.
    pub fn plugins(&self) -> impl Iterator<Item = &Arc<LoadedPlugin>> {
        self.plugins.values()
    }

    /// The plugin called `name`.
    pub fn plugin(&self, name: &str) -> Option<&Arc<LoadedPlugin>> {
        self.plugins.get(name)
    }

    /// Names of the plugins offering `command`.
    pub fn owners(&self, command: &str) -> &[String] {
        self.commands.get(command).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every command name with the plugins that offer it, sorted by command name.
    pub fn command_names(&self) -> Vec<(&str, &[String])> {
        let mut names: Vec<_> = self
            .commands
            .iter()
            .map(|(c, p)| (c.as_str(), p.as_slice()))
            .collect();
        names.sort_unstable_by_key(|(c, _)| *c);
        names
    }

    fn build(plugins: BTreeMap<String, Arc<LoadedPlugin>>) -> Catalog {
        let mut commands: HashMap<String, Vec<String>> = HashMap::new();
        for plugin in plugins.values() {
            for command in &plugin.manifest.commands {
                commands
                    .entry(command.name.clone())
                    .or_default()
                    .push(plugin.name().to_string());
            }
        }
        Catalog { plugins, commands }
    }
}

/// The live catalog.
#[derive(Default)]
pub struct Registry {
    current: RwLock<Arc<Catalog>>,
}

impl Registry {
    /// The catalog as it is now.
    pub fn snapshot(&self) -> Arc<Catalog> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The in-flight gate for `name`: the existing one when the plugin is loaded, so that an
    /// upgrade does not reset the count.
    pub fn gate_for(&self, name: &str, permits: u32) -> Arc<Semaphore> {
        match self.snapshot().plugin(name) {
            Some(p) => p.in_flight.clone(),
            None => Arc::new(Semaphore::new(permits as usize)),
        }
    }

    /// Adds or replaces a plugin.
    pub fn insert(&self, plugin: LoadedPlugin) {
        self.update(|plugins| {
            plugins.insert(plugin.name().to_string(), Arc::new(plugin));
        });
    }

    /// Removes a plugin; running invocations finish.
    pub fn remove(&self, name: &str) {
        self.update(|plugins| {
            plugins.remove(name);
        });
    }

    fn update(&self, change: impl FnOnce(&mut BTreeMap<String, Arc<LoadedPlugin>>)) {
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        let mut plugins = current.plugins.clone();
        change(&mut plugins);
        *current = Arc::new(Catalog::build(plugins));
    }
}
