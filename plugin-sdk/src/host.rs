//! Services the host offers every plugin: logging, admin-set configuration and the clock.

use crate::bindings::cove::plugin::host as raw;
use alloc::string::String;

/// Lines in the host's log, tagged with the plugin name and the invocation id.
///
/// Prefer these over `println!`: stdout and stderr are captured too, but without a level.
pub mod log {
    use super::raw::{self, Level};

    /// Logs a detail that is only interesting while debugging.
    pub fn debug(message: &str) {
        raw::log(Level::Debug, message);
    }

    /// Logs a normal event.
    pub fn info(message: &str) {
        raw::log(Level::Info, message);
    }

    /// Logs something unexpected that the plugin recovered from.
    pub fn warn(message: &str) {
        raw::log(Level::Warn, message);
    }

    /// Logs a failure.
    pub fn error(message: &str) {
        raw::log(Level::Error, message);
    }
}

/// The configuration value the admin set for this plugin under `key`, if any.
pub fn config(key: &str) -> Option<String> {
    raw::config(key)
}

/// Milliseconds since the Unix epoch, from the host's clock.
pub fn now_ms() -> u64 {
    raw::now()
}
