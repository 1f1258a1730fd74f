//! Per-plugin key-value storage with a byte quota.
//!
//! Keys are stored as `<plugin>/<key>`. Plugin names cannot contain `/` (see
//! [`crate::manifest::is_identifier`]) and the host always adds the prefix itself, so one
//! plugin has no spelling that reaches another plugin's keys. Usage (key + value bytes) is
//! kept per plugin under `\0usage/<plugin>` in the same tree; writes take the store's kv
//! lock for the read-modify-write.
//!
//! No sled transaction or batch is used anywhere in the store: in sled 0.34 both take a
//! global write lock that deadlocks against a concurrent flush (which holds the read side
//! while it waits for the log flusher, itself queued behind the writer), and the event queue
//! flushes on every webhook. Instead a write that grows usage records the new usage *before*
//! the value, and one that shrinks it records it *after*: sled recovers a prefix of its log,
//! so a crash in between can only leave usage counted too high, never too low.

use thiserror::Error;

use super::Store;

/// Longest key a plugin may use, in bytes.
pub const MAX_KEY_BYTES: usize = 512;

/// Why a kv operation was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum KvError {
    #[error("quota exceeded (limit {limit} bytes)")]
    QuotaExceeded { limit: u64 },
    #[error("invalid key: {0}")]
    InvalidKey(String),
    #[error("store error: {0}")]
    Store(String),
}

fn full_key(plugin: &str, key: &str) -> Result<Vec<u8>, KvError> {
    if key.is_empty() {
        return Err(KvError::InvalidKey("keys cannot be empty".into()));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(KvError::InvalidKey(format!(
            "{} bytes (at most {MAX_KEY_BYTES})",
            key.len()
        )));
    }
    Ok(format!("{plugin}/{key}").into_bytes())
}

fn store_error(e: impl std::fmt::Display) -> KvError {
    KvError::Store(e.to_string())
}

/// Where `plugin`'s usage is kept; no plugin key can start with a NUL byte.
fn usage_key(plugin: &str) -> Vec<u8> {
    format!("\0usage/{plugin}").into_bytes()
}

fn read_usage(bytes: Option<sled::IVec>) -> u64 {
    bytes
        .and_then(|b| <[u8; 8]>::try_from(b.as_ref()).ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0)
}

impl Store {
    /// The value of `key` in `plugin`'s namespace.
    pub fn kv_get(&self, plugin: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        let k = full_key(plugin, key)?;
        Ok(self.kv.get(k).map_err(store_error)?.map(|v| v.to_vec()))
    }

    /// Stores `value`, refusing writes that would take `plugin` over `quota` bytes.
    /// Durable when this returns.
    pub fn kv_set(&self, plugin: &str, key: &str, value: &[u8], quota: u64) -> Result<(), KvError> {
        let k = full_key(plugin, key)?;
        let entry_size = (key.len() + value.len()) as u64;
        {
            let _write = self.kv_lock.lock().unwrap_or_else(|e| e.into_inner());
            let used = self.kv_usage(plugin)?;
            let old = self
                .kv
                .get(&k)
                .map_err(store_error)?
                .map(|v| (key.len() + v.len()) as u64)
                .unwrap_or(0);
            let new_used = used - old.min(used) + entry_size;
            if new_used > quota && entry_size > old {
                return Err(KvError::QuotaExceeded { limit: quota });
            }
            let record_usage = || self.kv.insert(usage_key(plugin), &new_used.to_be_bytes());
            if new_used >= used {
                record_usage().map_err(store_error)?;
            }
            self.kv.insert(k, value).map_err(store_error)?;
            if new_used < used {
                record_usage().map_err(store_error)?;
            }
        }
        self.flush().map_err(store_error)
    }

    /// Removes `key`; true when it existed. Durable when this returns.
    pub fn kv_delete(&self, plugin: &str, key: &str) -> Result<bool, KvError> {
        let k = full_key(plugin, key)?;
        {
            let _write = self.kv_lock.lock().unwrap_or_else(|e| e.into_inner());
            let Some(old) = self.kv.get(&k).map_err(store_error)? else {
                return Ok(false);
            };
            let freed = (key.len() + old.len()) as u64;
            let used = self.kv_usage(plugin)?.saturating_sub(freed);
            self.kv.remove(k).map_err(store_error)?;
            self.kv
                .insert(usage_key(plugin), &used.to_be_bytes())
                .map_err(store_error)?;
        }
        self.flush().map_err(store_error)?;
        Ok(true)
    }

    /// Keys of `plugin` starting with `prefix`, in byte order, at most `limit` of them.
    pub fn kv_keys(
        &self,
        plugin: &str,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<String>, KvError> {
        let namespace = format!("{plugin}/");
        let scan = format!("{namespace}{prefix}");
        self.kv
            .scan_prefix(scan.as_bytes())
            .keys()
            .take(limit)
            .map(|k| {
                let k = k.map_err(store_error)?;
                Ok(String::from_utf8_lossy(&k[namespace.len()..]).into_owned())
            })
            .collect()
    }

    /// Bytes (keys + values) `plugin` currently stores.
    pub fn kv_usage(&self, plugin: &str) -> Result<u64, KvError> {
        match self.kv.get(usage_key(plugin)).map_err(store_error)? {
            Some(bytes) => Ok(read_usage(Some(bytes))),
            // Stores written before usage moved into the kv tree kept it in `kv_usage`.
            None => Ok(read_usage(self.kv_usage.get(plugin).map_err(store_error)?)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, store)
    }

    #[test]
    fn namespaces_are_separate() {
        let (_dir, s) = store();
        s.kv_set("a", "k", b"1", 100).unwrap();
        s.kv_set("ab", "k", b"2", 100).unwrap();
        assert_eq!(s.kv_get("a", "k").unwrap(), Some(b"1".to_vec()));
        assert_eq!(s.kv_get("ab", "k").unwrap(), Some(b"2".to_vec()));
        // A key that spells another plugin's prefix stays inside the caller's namespace.
        assert_eq!(s.kv_get("a", "../ab/k").unwrap(), None);
        assert_eq!(s.kv_get("a", "b/k").unwrap(), None);
        assert_eq!(s.kv_keys("a", "", 10).unwrap(), vec!["k".to_string()]);
    }

    #[test]
    fn quota_counts_keys_and_values_and_frees_on_delete() {
        let (_dir, s) = store();
        s.kv_set("p", "k1", &[0; 40], 100).unwrap();
        assert_eq!(s.kv_usage("p").unwrap(), 42);
        s.kv_set("p", "k2", &[0; 40], 100).unwrap();
        assert_eq!(
            s.kv_set("p", "k3", &[0; 40], 100),
            Err(KvError::QuotaExceeded { limit: 100 })
        );
        // Overwriting with a smaller value is always allowed.
        s.kv_set("p", "k2", &[0; 10], 100).unwrap();
        assert_eq!(s.kv_usage("p").unwrap(), 42 + 12);
        assert!(s.kv_delete("p", "k1").unwrap());
        assert!(!s.kv_delete("p", "k1").unwrap());
        assert_eq!(s.kv_usage("p").unwrap(), 12);
        s.kv_set("p", "k3", &[0; 40], 100).unwrap();
    }

    #[test]
    fn bad_keys_are_refused() {
        let (_dir, s) = store();
        assert!(matches!(
            s.kv_set("p", "", b"v", 100),
            Err(KvError::InvalidKey(_))
        ));
        let long = "k".repeat(MAX_KEY_BYTES + 1);
        assert!(matches!(s.kv_get("p", &long), Err(KvError::InvalidKey(_))));
    }
}
