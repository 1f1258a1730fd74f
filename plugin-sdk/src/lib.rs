//! # cove-sdk: write Cove chat-command plugins in Rust
//!
//! A Cove plugin is a WebAssembly component (`wasm32-wasip2`) that implements the
//! `cove:plugin` WIT world (`wit/plugin.wit` in the Cove repository). This crate wraps the
//! bindings that `wit-bindgen` generates for that world so that a plugin is a plain Rust type
//! implementing [`Plugin`], registered with [`export_plugin!`].
//!
//! The host creates a **fresh instance for every command**, so statics and globals do not
//! survive between calls: keep durable state in [`kv`].
//!
//! ## A complete plugin
//!
//! ```no_run
//! use cove_sdk::prelude::*;
//!
//! /// Greets people and counts how often it did.
//! struct Greeter;
//!
//! impl Plugin for Greeter {
//!     fn manifest() -> Manifest {
//!         Manifest::new("greeter", "0.1.0", "Say hello")
//!             .command(
//!                 Command::new("hello", "Greet someone")
//!                     .arg(Arg::text("name").optional().describe("who to greet"))
//!                     .example("!hello Ada"),
//!             )
//!     }
//!
//!     fn handle_command(inv: Invocation) -> Result<Reply, CommandError> {
//!         let name = inv.arg(0).unwrap_or(&inv.user.name).to_string();
//!         // Count greetings in the plugin's private key-value store.
//!         let count = kv::get_string("greetings")
//!             .and_then(|s| s.parse::<u64>().ok())
//!             .unwrap_or(0)
//!             + 1;
//!         kv::set_string("greetings", &count.to_string())?; // a quota error becomes `failed`
//!         host::log::info(&format!("greeted {name}"));
//!         Ok(Reply::text(format!("Hello, {name}! (greeting #{count})")))
//!     }
//! }
//!
//! cove_sdk::export_plugin!(Greeter);
//! # fn main() {}
//! ```
//!
//! Build it as a `cdylib` for `wasm32-wasip2` (`cargo build --target wasm32-wasip2 --release`)
//! and install the resulting `.wasm` with `cove plugin install`. `cove plugin new <name>`
//! scaffolds such a crate. See the crate's README for details.
//!
//! ## What the host does before your code runs
//!
//! The host splits the text after the command with shell-like quoting into
//! [`Invocation::args`] and checks them against the [`Arg`] specs of the command (required
//! arguments present, `int` arguments parse, …); a mismatch is answered with the command's
//! usage without calling the plugin. [`Invocation::raw`] always has the text exactly as typed.
//!
//! ## Network, secrets and other permissions
//!
//! A plugin has no network access and no secrets until an admin grants them. The manifest
//! lists what it would like — [`Manifest::host`], [`Manifest::secret`], [`Manifest::inject`],
//! [`Manifest::inject_header`], [`Manifest::post_to`], [`Manifest::webhook`],
//! [`Manifest::schedule`] — and that **grants nothing**: an admin grants each request, e.g.
//! `cove grant <plugin> net api.example.com`, `cove grant <plugin> secret NAME`, or
//! `cove grant <plugin> secret NAME --inject api.example.com [--header 'X-Api-Key: {}']`.
//! Anything not granted is refused when tried, and the host tells the user.
//!
//! Then [`http`] reaches the granted hosts, and [`host::secret`] reads a granted secret. An
//! *injected* secret is added to matching requests by the host and never reaches the plugin:
//!
//! ```no_run
//! use cove_sdk::prelude::*;
//!
//! struct Issues;
//!
//! impl Plugin for Issues {
//!     fn manifest() -> Manifest {
//!         Manifest::new("issues", "0.1.0", "Look up tracker issues")
//!             .command(Command::new("issue", "Show an issue").arg(Arg::int("number")))
//!             .host("tracker.example.com")
//!             .inject("TRACKER_TOKEN", "tracker.example.com")
//!     }
//!
//!     fn handle_command(inv: Invocation) -> Result<Reply, CommandError> {
//!         let n = inv.int(0).unwrap_or_default();
//!         // No Authorization header: the host adds the token. `?` turns a refused or failed
//!         // request into `CommandError::failed` with a readable message.
//!         let response = http::get(&format!("https://tracker.example.com/api/issues/{n}"))?;
//!         if !response.is_success() {
//!             let reason = response.reason();
//!             return Err(CommandError::failed(format!("tracker says {} {reason}", response.status)));
//!         }
//!         Ok(Reply::text(response.text()))
//!     }
//! }
//!
//! cove_sdk::export_plugin!(Issues);
//! # fn main() {}
//! ```
//!
//! ## `no_std` plugins start faster
//!
//! With default features the SDK uses the Rust standard library, and so the component imports
//! a dozen WASI interfaces (stdio, environment, exit, …) that the host must wire up for every
//! instance. A plugin that only needs `core` and `alloc` can drop them:
//!
//! ```toml
//! [dependencies]
//! cove-sdk = { path = "../plugin-sdk", default-features = false }
//! ```
//!
//! ```text
//! #![no_std]
//! use cove_sdk::prelude::*; // also brings String, Vec, Box, ToString, ToOwned, format!, vec!
//! ```
//!
//! The API is the same. On `wasm32` the SDK then supplies the global allocator (a bump
//! allocator: every instance serves one call and is thrown away, so memory is never
//! recycled) and, through [`export_plugin!`], the panic handler (the panic message goes to
//! the host's log at error level, see [`Plugin::LOG_PANICS`], then the instance traps). The
//! component imports only the `cove:plugin/*` interfaces it uses (plus `wasi:http` and
//! `wasi:io` if it calls [`http`]). See the README for the measured difference.

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

pub mod host;
pub mod http;
pub mod kv;
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
mod rt;
mod types;

/// The raw `wit-bindgen` output for the `cove:plugin` world.
///
/// Public only so that [`export_plugin!`] can reach it from the plugin's crate; not a stable
/// API. Everything a plugin needs is re-exported at the crate root under friendlier names.
#[doc(hidden)]
#[allow(missing_docs, clippy::too_many_arguments)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "plugin",
        path: "../wit",
        // The export macro is expanded in the plugin's crate, which does not depend on
        // wit-bindgen itself: it must be public and must name the bindings by absolute path.
        pub_export_macro: true,
        export_macro_name: "__export",
        default_bindings_module: "cove_sdk::bindings",
        // The world imports `wasi:http/outgoing-handler`, which pulls in `wasi:http/types`,
        // `wasi:io/*` and `wasi:clocks/monotonic-clock`: generate those too (they back
        // `cove_sdk::http`). Unused functions are dropped by the linker, so a plugin that
        // never calls `http` imports none of them.
        generate_all,
    });
}

pub use bindings::cove::plugin::types::{
    ArgKind, ArgSpec as Arg, Channel, CommandError, CommandSpec as Command, Event,
    InjectionRequest, Invocation, Manifest, Permissions, Reply, User,
};

/// What a plugin implements: its static description and its command handler.
///
/// All functions are associated functions (no `self`) because the host makes a fresh instance
/// for every call: there is no long-lived plugin object to hold state in.
pub trait Plugin {
    /// The plugin's name, version, description, commands and permission requests.
    ///
    /// Called once, when the plugin is installed; the host validates it (names, duplicates,
    /// sizes) and refuses the plugin if it is malformed. Keep it a constant description:
    /// it is read at install time, not per command, so it should not depend on [`kv`] or
    /// [`host::config`], and it runs under the same time limit as a command.
    fn manifest() -> Manifest;

    /// Runs one chat command: `inv.command` is one of the names from [`Plugin::manifest`].
    ///
    /// Return `Err(CommandError::usage(..))` for bad arguments (the host then shows the
    /// command's usage), `failed` when the command ran and did not succeed, and `denied` when
    /// the caller may not do this.
    fn handle_command(inv: Invocation) -> Result<Reply, CommandError>;

    /// Handles one webhook delivery or schedule tick.
    ///
    /// The default ignores the event, which suits the many plugins that only have commands:
    /// the host only delivers events that an admin granted anyway.
    fn handle_event(ev: Event) -> Result<(), CommandError> {
        let _ = ev;
        Ok(())
    }

    /// Whether a panic's message is sent to the host's log before the instance traps.
    ///
    /// Matters only for `no_std` plugins (the `std` feature off): with `std` the message goes
    /// to stderr, which the host captures anyway. The default, `true`, makes the component
    /// import `cove:plugin/host` for the log. A plugin that calls no host function at all can
    /// set it to `false` to import nothing, which makes each instance (one per command)
    /// about 1.5 µs cheaper to create; the host still reports the crash, or the exhausted
    /// memory, just without the panic message.
    const LOG_PANICS: bool = true;
}

/// Exports a [`Plugin`] implementation as the component's `cove:plugin` world.
///
/// Use it exactly once, at the top level of a `cdylib` crate. In a `no_std` plugin it also
/// defines the crate's `#[panic_handler]` (see [`Plugin::LOG_PANICS`]):
///
/// ```no_run
/// # use cove_sdk::prelude::*;
/// struct Ping;
/// impl Plugin for Ping {
///     fn manifest() -> Manifest {
///         Manifest::new("ping", "0.1.0", "Answers ping").command(Command::new("ping", "Pong"))
///     }
///     fn handle_command(_inv: Invocation) -> Result<Reply, CommandError> {
///         Ok(Reply::text("pong"))
///     }
/// }
/// cove_sdk::export_plugin!(Ping);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        const _: () = {
            // wit-bindgen's export macro wants a bare identifier that implements its `Guest`
            // trait, so a private adapter type forwards to the user's `Plugin` impl (which
            // may be a path or a generic type).
            struct __CoveGuest;
            impl $crate::bindings::Guest for __CoveGuest {
                fn manifest() -> $crate::Manifest {
                    <$plugin as $crate::Plugin>::manifest()
                }
                fn handle_command(
                    inv: $crate::Invocation,
                ) -> ::core::result::Result<$crate::Reply, $crate::CommandError> {
                    <$plugin as $crate::Plugin>::handle_command(inv)
                }
                fn handle_event(
                    ev: $crate::Event,
                ) -> ::core::result::Result<(), $crate::CommandError> {
                    <$plugin as $crate::Plugin>::handle_event(ev)
                }
            }
    $crate::bindings::__export!(__CoveGuest with_types_in $crate::bindings);
        };
        $crate::__panic_handler!($plugin);
    };
}

/// Emits the `#[panic_handler]` of a `no_std` plugin: in the plugin's crate, so that
/// [`Plugin::LOG_PANICS`] decides whether the component imports the host log at all.
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[doc(hidden)]
#[macro_export]
macro_rules! __panic_handler {
    ($plugin:ty) => {
        const _: () = {
            #[panic_handler]
            fn __cove_panic(info: &::core::panic::PanicInfo<'_>) -> ! {
                if <$plugin as $crate::Plugin>::LOG_PANICS {
                    $crate::__private::log_panic(info);
                }
                ::core::arch::wasm32::unreachable()
            }
        };
    };
}

/// With `std` (or off wasm32) the standard library provides the panic handler.
#[cfg(not(all(target_arch = "wasm32", not(feature = "std"))))]
#[doc(hidden)]
#[macro_export]
macro_rules! __panic_handler {
    ($plugin:ty) => {};
}

/// Items that [`export_plugin!`] expands to; not a stable API.
#[doc(hidden)]
pub mod __private {
    #[cfg(all(target_arch = "wasm32", not(feature = "std")))]
    pub use crate::rt::report::to_log as log_panic;
}

/// Everything a typical plugin uses: `use cove_sdk::prelude::*;`.
///
/// Besides the SDK's own items it re-exports the `alloc` essentials that `std`'s prelude
/// would provide ([`String`], [`Vec`], [`Box`], [`ToString`], [`ToOwned`], [`format!`],
/// [`vec!`]), so that a `#![no_std]` plugin needs nothing else. In a `std` plugin they are
/// the very same items, so the glob import does not clash with `std`'s prelude.
///
/// [`String`]: alloc::string::String
/// [`Vec`]: alloc::vec::Vec
/// [`Box`]: alloc::boxed::Box
/// [`ToString`]: alloc::string::ToString
/// [`ToOwned`]: alloc::borrow::ToOwned
/// [`format!`]: alloc::format
/// [`vec!`]: alloc::vec!
pub mod prelude {
    pub use crate::{
        Arg, Command, CommandError, Event, Invocation, Manifest, Plugin, Reply, host, http, kv,
    };
    pub use alloc::borrow::ToOwned;
    pub use alloc::boxed::Box;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec::Vec;
    pub use alloc::{format, vec};
}
