//! Durable state in one sled database: plugins and their versions, content-addressed wasm
//! blobs, compiled-artifact cache, per-plugin kv, grants, encrypted secrets, the access
//! rules, the hash-chained audit log, queued inbound events, and small metadata.
//!
//! Every write that changes what users see is flushed before the caller reports success.

mod access;
mod audit;
mod events;
mod grants;
mod kv;
mod plugins;
mod secrets;

use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Context;

pub use audit::{AuditEvent, AuditFilter, AuditRecord, ChainReport, format_time};
pub use events::{EventMeta, EventState, StoredEvent};
pub use kv::{KvError, MAX_KEY_BYTES};
pub use plugins::{PluginRecord, VersionRecord};
pub use secrets::{KEY_FILE, MAX_SECRET_BYTES, MasterKey, write_private};

/// Handle to the database; cheap to clone (sled handles are reference counted).
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    plugins: sled::Tree,
    blobs: sled::Tree,
    artifacts: sled::Tree,
    kv: sled::Tree,
    kv_usage: sled::Tree,
    meta: sled::Tree,
    grants: sled::Tree,
    secrets: sled::Tree,
    audit: sled::Tree,
    events: sled::Tree,
    events_dead: sled::Tree,
    event_replay: sled::Tree,
    /// Serializes appends so the hash chain has one order.
    audit_lock: Arc<Mutex<()>>,
    /// Serializes kv writes: each reads the plugin's usage, then writes value and usage.
    kv_lock: Arc<Mutex<()>>,
}

impl Store {
    /// Opens (or creates) the database in `dir`.
    pub fn open(dir: &Path) -> anyhow::Result<Store> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create data directory {}", dir.display()))?;
        let db = sled::Config::new()
            .path(dir.join("db"))
            .open()
            .map_err(|e| open_error(dir, e))?;
        let tree = |name: &str| {
            db.open_tree(name)
                .with_context(|| format!("cannot open the {name} table in {}", dir.display()))
        };
        Ok(Store {
            plugins: tree("plugins")?,
            blobs: tree("blobs")?,
            artifacts: tree("artifacts")?,
            kv: tree("kv")?,
            kv_usage: tree("kv_usage")?,
            meta: tree("meta")?,
            grants: tree("grants")?,
            secrets: tree("secrets")?,
            audit: tree("audit")?,
            events: tree("events")?,
            events_dead: tree("events_dead")?,
            event_replay: tree("event_replay")?,
            audit_lock: Arc::new(Mutex::new(())),
            kv_lock: Arc::new(Mutex::new(())),
            db,
        })
    }

    /// Makes every write so far durable.
    pub fn flush(&self) -> anyhow::Result<()> {
        self.db.flush().context("cannot flush the store to disk")?;
        Ok(())
    }

    /// A small flag or value kept under `key` (e.g. whether first-party plugins were seeded).
    pub fn meta(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self.meta.get(key)?.map(|v| v.to_vec()))
    }

    /// Sets a metadata value and flushes.
    pub fn set_meta(&self, key: &str, value: &[u8]) -> anyhow::Result<()> {
        self.meta.insert(key, value)?;
        self.flush()
    }

    /// The compiled artifact cached under `key`, if any.
    pub fn artifact(&self, key: &str) -> anyhow::Result<Option<sled::IVec>> {
        Ok(self.artifacts.get(key)?)
    }

    /// Caches a compiled artifact. Not flushed: a lost artifact is only recompiled.
    pub fn put_artifact(&self, key: &str, bytes: &[u8]) -> anyhow::Result<()> {
        self.artifacts.insert(key, bytes)?;
        Ok(())
    }
}

/// Another process (normally `cove serve`) holds the data directory.
#[derive(Debug, thiserror::Error)]
#[error(
    "the data directory {} is in use by another cove process (only one may open it; \
     stop `cove serve` or use another --data-dir)",
    dir.display()
)]
pub struct StoreInUse {
    /// The data directory.
    pub dir: std::path::PathBuf,
}

/// sled reports a second process as a generic I/O error; say what it means.
fn open_error(dir: &Path, e: sled::Error) -> anyhow::Error {
    let text = e.to_string();
    if text.contains("lock")
        || text.contains("WouldBlock")
        || text.contains("temporarily unavailable")
    {
        StoreInUse {
            dir: dir.to_path_buf(),
        }
        .into()
    } else {
        anyhow::anyhow!("cannot open the store in {}: {text}", dir.display())
    }
}
