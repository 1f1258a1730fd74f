//! Installed plugins: one record per plugin name listing every version, plus the wasm blobs
//! they point to, stored once per sha256.

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use super::Store;
use crate::manifest::Manifest;

/// One installed plugin and all its versions, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PluginRecord {
    /// The manifest name.
    pub name: String,
    /// sha256 of the version that serves commands.
    pub active: String,
    /// Every version ever installed and not removed, in install order.
    pub versions: Vec<VersionRecord>,
    /// Hashes an admin approved (uploaded by an admin, or `cove plugin approve`). Grants
    /// apply only while the active version is one of them.
    #[serde(default)]
    pub approved: Vec<String>,
}

/// One uploaded `.wasm` of a plugin.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionRecord {
    /// Lowercase hex sha256 of the component bytes.
    pub hash: String,
    /// Size of the component in bytes.
    pub size: u64,
    /// When it was installed (ms since the Unix epoch).
    pub installed_at_ms: u64,
    /// What `manifest()` returned at install.
    pub manifest: Manifest,
    /// Who uploaded it (`cli` for the command line).
    #[serde(default)]
    pub uploaded_by: String,
}

impl PluginRecord {
    /// Whether the active version may use the plugin's grants.
    pub fn active_is_approved(&self) -> bool {
        self.approved.contains(&self.active)
    }

    /// The version that serves commands.
    pub fn active_version(&self) -> &VersionRecord {
        self.versions
            .iter()
            .find(|v| v.hash == self.active)
            .or(self.versions.last())
            .expect("a plugin record always has a version")
    }
}

impl Store {
    /// All installed plugins, by name.
    pub fn plugins(&self) -> anyhow::Result<Vec<PluginRecord>> {
        self.plugins.iter().values().map(|v| decode(&v?)).collect()
    }

    /// The plugin called `name`, if installed.
    pub fn plugin(&self, name: &str) -> anyhow::Result<Option<PluginRecord>> {
        self.plugins.get(name)?.map(|v| decode(&v)).transpose()
    }

    /// Stores `bytes` under its hash and makes `version` the active one of its plugin;
    /// `approve` when an admin uploaded it. Returns the updated record; durable when this
    /// returns.
    pub fn add_version(
        &self,
        bytes: &[u8],
        version: VersionRecord,
        approve: bool,
    ) -> anyhow::Result<PluginRecord> {
        self.blobs.insert(version.hash.as_bytes(), bytes)?;
        let name = version.manifest.name.clone();
        let hash = version.hash.clone();
        let mut record = match self.plugin(&name)? {
            Some(mut record) => {
                record.active = hash.clone();
                match record.versions.iter_mut().find(|v| v.hash == hash) {
                    Some(existing) => existing.manifest = version.manifest,
                    None => record.versions.push(version),
                }
                record
            }
            None => PluginRecord {
                name: name.clone(),
                active: hash.clone(),
                versions: vec![version],
                approved: vec![],
            },
        };
        if approve && !record.approved.contains(&hash) {
            record.approved.push(hash);
        }
        self.put_plugin(&record)?;
        Ok(record)
    }

    /// Marks the active version approved, so the plugin's grants apply to it.
    pub fn approve(&self, name: &str) -> anyhow::Result<PluginRecord> {
        let mut record = self
            .plugin(name)?
            .with_context(|| format!("no plugin named {name:?} is installed"))?;
        if !record.active_is_approved() {
            record.approved.push(record.active.clone());
            self.put_plugin(&record)?;
        }
        Ok(record)
    }

    /// Makes the version installed before the active one active again.
    pub fn rollback(&self, name: &str) -> anyhow::Result<PluginRecord> {
        let mut record = self
            .plugin(name)?
            .with_context(|| format!("no plugin named {name:?} is installed"))?;
        let position = record
            .versions
            .iter()
            .position(|v| v.hash == record.active)
            .unwrap_or(0);
        if position == 0 {
            bail!("plugin {name:?} has no version older than the active one to roll back to");
        }
        record.active = record.versions[position - 1].hash.clone();
        self.put_plugin(&record)?;
        Ok(record)
    }

    /// Removes a plugin with all its versions; blobs no other plugin uses are deleted.
    /// Its kv data is kept, so reinstalling the plugin finds it again.
    pub fn remove_plugin(&self, name: &str) -> anyhow::Result<PluginRecord> {
        let record = self
            .plugin(name)?
            .with_context(|| format!("no plugin named {name:?} is installed"))?;
        self.plugins.remove(name)?;
        let still_used: Vec<String> = self
            .plugins()?
            .iter()
            .flat_map(|p| p.versions.iter().map(|v| v.hash.clone()))
            .collect();
        for version in &record.versions {
            if !still_used.contains(&version.hash) {
                self.blobs.remove(version.hash.as_bytes())?;
            }
        }
        self.flush()?;
        Ok(record)
    }

    /// The component bytes stored under `hash`.
    pub fn blob(&self, hash: &str) -> anyhow::Result<Vec<u8>> {
        let bytes = self
            .blobs
            .get(hash.as_bytes())?
            .with_context(|| format!("blob {hash} is missing from the store"))?;
        Ok(bytes.to_vec())
    }

    fn put_plugin(&self, record: &PluginRecord) -> anyhow::Result<()> {
        self.plugins
            .insert(record.name.as_bytes(), serde_json::to_vec(record)?)?;
        self.flush()
    }
}

fn decode(bytes: &[u8]) -> anyhow::Result<PluginRecord> {
    serde_json::from_slice(bytes).context("a plugin record in the store is corrupt")
}
