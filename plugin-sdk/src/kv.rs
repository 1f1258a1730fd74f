//! The plugin's private key-value store.
//!
//! Every plugin has its own namespace (it cannot name other plugins' keys) and a storage
//! quota. Values are bytes; [`get_string`] and [`set_string`] cover the common text case.
//! A [`KvError`] converts into [`CommandError::failed`](crate::CommandError::failed), so
//! handlers can use `?` on writes.

use crate::CommandError;
use crate::bindings::cove::plugin::kv as raw;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Why the store refused a write.
///
/// The SDK's own type rather than the generated one, so that it prints as a sentence a chat
/// user can read (`quota exceeded (limit 1048576 bytes)`) instead of a debug dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvError {
    /// The write would take the plugin over its storage quota.
    QuotaExceeded {
        /// The plugin's quota in bytes.
        limit: u64,
    },
    /// The key is empty or longer than the host allows; the text says which.
    InvalidKey(String),
    /// The store itself failed; the text says how.
    Store(String),
}

impl fmt::Display for KvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KvError::QuotaExceeded { limit } => {
                write!(f, "quota exceeded (limit {limit} bytes)")
            }
            KvError::InvalidKey(why) => write!(f, "invalid key: {why}"),
            KvError::Store(why) => write!(f, "store error: {why}"),
        }
    }
}

impl core::error::Error for KvError {}

impl From<raw::KvError> for KvError {
    fn from(e: raw::KvError) -> Self {
        match e {
            raw::KvError::QuotaExceeded(limit) => KvError::QuotaExceeded { limit },
            raw::KvError::InvalidKey(why) => KvError::InvalidKey(why),
            raw::KvError::Store(why) => KvError::Store(why),
        }
    }
}

impl From<KvError> for CommandError {
    /// A storage failure is a failed command: the user did nothing wrong.
    fn from(e: KvError) -> Self {
        CommandError::failed(format!("storage: {e}"))
    }
}

/// The value stored under `key`, if any.
pub fn get(key: &str) -> Option<Vec<u8>> {
    raw::get(key)
}

/// Stores `value` under `key`, replacing any previous value.
pub fn set(key: &str, value: &[u8]) -> Result<(), KvError> {
    raw::set(key, value).map_err(KvError::from)
}

/// Removes `key`; `Ok(true)` when it existed.
pub fn delete(key: &str) -> Result<bool, KvError> {
    raw::delete(key).map_err(KvError::from)
}

/// The keys that start with `prefix`, in byte order (`""` lists them all).
pub fn list_keys(prefix: &str) -> Vec<String> {
    raw::list_keys(prefix)
}

/// The value under `key` as text; invalid UTF-8 is replaced with `U+FFFD` rather than
/// hidden, so a value written by [`set`] with other bytes still shows up.
pub fn get_string(key: &str) -> Option<String> {
    get(key).map(|bytes| match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// Stores `value` as UTF-8 text under `key`.
pub fn set_string(key: &str, value: &str) -> Result<(), KvError> {
    set(key, value.as_bytes())
}
