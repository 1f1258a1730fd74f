//! Services the host offers every plugin: logging, admin-set configuration, the clock,
//! granted secrets and posting to granted channels.

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

/// The value of the secret `name`, if an admin granted it to this plugin.
///
/// Request it in the manifest with [`Manifest::secret`](crate::Manifest::secret); an admin
/// grants it with `cove grant <plugin> secret NAME`. The error is a sentence saying why not
/// (not granted, not set, …); the host also tells the user, so a plugin can simply pass it
/// on as [`CommandError::failed`](crate::CommandError::failed).
///
/// Do not put the value in a reply or a log line. For HTTP credentials prefer
/// [`Manifest::inject`](crate::Manifest::inject): the host then adds the secret to requests
/// itself and the plugin never sees it.
///
/// ```no_run
/// # use cove_sdk::prelude::*;
/// # fn f() -> Result<Reply, CommandError> {
/// let token = host::secret("PAGER_TOKEN").map_err(CommandError::failed)?;
/// # let _ = token; Ok(Reply::text("ok")) }
/// ```
pub fn secret(name: &str) -> Result<String, String> {
    raw::secret(name)
}

/// Posts Markdown `text` to `channel` (a name such as `ops` or `#ops`, or a platform id).
///
/// Request the channel in the manifest with [`Manifest::post_to`](crate::Manifest::post_to);
/// an admin grants it with `cove grant <plugin> post <channel>`. The host delivers the post
/// after checking the grant; the error is a sentence saying why it was refused.
///
/// ```no_run
/// # use cove_sdk::prelude::*;
/// host::post("ops", "Deploy finished").map_err(CommandError::failed)?;
/// # Ok::<(), CommandError>(())
/// ```
pub fn post(channel: &str, text: &str) -> Result<(), String> {
    raw::post(channel, text)
}
