//! Cove: a ChatOps runtime that runs every plugin as a sandboxed WebAssembly component.
//!
//! A message flows `chat` → [`dispatch`] → [`sandbox`] (a fresh instance per command) →
//! back to `chat`. Installed plugins live in the [`store`]; the [`registry`] holds the ones
//! serving now. See `docs/architecture.md`.

pub mod admin;
pub mod admin_api;
pub mod admin_web;
pub mod app;
pub mod audit;
pub mod chat;
pub mod cli;
pub mod config;
pub mod dispatch;
pub mod egress;
pub mod events;
mod first_party;
pub mod install;
pub mod manifest;
pub mod metrics;
pub mod permissions;
pub mod policy;
pub mod registry;
pub mod sandbox;
pub mod store;

pub use app::Cove;

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Compares two secrets without an early exit, so the time taken says nothing about how much
/// of a guess was right.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
