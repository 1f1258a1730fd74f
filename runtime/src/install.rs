//! Installing a plugin: every check a `.wasm` must pass before it can serve a command.
//!
//! Order of checks (the first failure is reported; nothing is stored until all pass):
//! 1. size against `limits.max_plugin_bytes`;
//! 2. the binary header: wasm at all, a component rather than a core module;
//! 3. compilation by wasmtime;
//! 4. linking against the host: only imports Cove provides (never `wasi:sockets`), all
//!    `plugin` world exports;
//! 5. `manifest()` in a fresh sandbox under `limits.manifest_deadline_ms`;
//! 6. the manifest rules in [`crate::manifest`].
//!
//! Then the blob is stored under its sha256, the version recorded and flushed, and the new
//! version swapped into the registry.

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::app::Cove;
use crate::manifest::{self, ManifestError};
use crate::sandbox::SandboxError;
use crate::store::{AuditEvent, PluginRecord, VersionRecord};

/// Why an upload was refused. Messages are what the user sees.
#[derive(Debug, Error)]
pub enum InstallError {
    #[error("the file is {size} bytes, over the {limit}-byte plugin size limit")]
    TooLarge { size: u64, limit: u64 },
    #[error("the file is not WebAssembly (it does not start with the \\0asm header)")]
    NotWasm,
    #[error(
        "the file is a core WebAssembly module, not a component: build the plugin for the \
         wasm32-wasip2 target (cargo build --target wasm32-wasip2)"
    )]
    CoreModule,
    #[error("the file has an unknown WebAssembly version or layer ({0:02x?})")]
    UnknownVersion([u8; 4]),
    #[error("the component is invalid: {0}")]
    Invalid(String),
    #[error("the component does not implement the cove:plugin@0.1.0 `plugin` world: {0}")]
    WrongWorld(String),
    #[error("calling the plugin's manifest() failed: {0}")]
    ManifestCall(SandboxError),
    #[error("the plugin's manifest is invalid: {0}")]
    BadManifest(#[from] ManifestError),
    #[error("{0:#}")]
    Internal(#[from] anyhow::Error),
}

/// Who uploads a plugin: an admin's upload is approved at once, anyone else's runs without
/// grants until an admin approves it.
#[derive(Debug, Clone)]
pub struct Uploader {
    /// User id (or `cli`).
    pub id: String,
    /// Whether the uploader is an admin.
    pub admin: bool,
}

impl Uploader {
    /// The command line, which acts as an admin.
    pub fn cli() -> Uploader {
        Uploader {
            id: "cli".into(),
            admin: true,
        }
    }
}

/// What an install did.
#[derive(Debug)]
pub struct Installed {
    /// The plugin after the install.
    pub record: PluginRecord,
    /// The version that was just installed (now active).
    pub version: VersionRecord,
    /// True when this exact component was already installed (it is made active again).
    pub already_present: bool,
}

/// Checks the 8-byte preamble: `\0asm`, then version and layer.
pub fn check_header(bytes: &[u8]) -> Result<(), InstallError> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return Err(InstallError::NotWasm);
    }
    match [bytes[4], bytes[5], bytes[6], bytes[7]] {
        [0x0d, 0x00, 0x01, 0x00] => Ok(()),
        [0x01, 0x00, 0x00, 0x00] => Err(InstallError::CoreModule),
        other => Err(InstallError::UnknownVersion(other)),
    }
}

/// Lowercase hex sha256 of `bytes`: the blob's address.
pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Cove {
    /// Installs `bytes` as a new version of the plugin its manifest names.
    pub async fn install(
        &self,
        bytes: &[u8],
        uploader: &Uploader,
    ) -> Result<Installed, InstallError> {
        let limit = self.config.limits.max_plugin_bytes;
        if bytes.len() as u64 > limit {
            return Err(InstallError::TooLarge {
                size: bytes.len() as u64,
                limit,
            });
        }
        check_header(bytes)?;
        let hash = content_hash(bytes);
        let component = self
            .sandbox
            .compile(bytes)
            .map_err(|e| InstallError::Invalid(format!("{e:#}")))?;
        if let Some(socket) = self.sandbox.socket_import(&component) {
            return Err(InstallError::WrongWorld(format!(
                "it imports {socket}: plugins get no sockets in Cove; reach hosts through wasi:http, \
                 which admins grant per host"
            )));
        }
        let pre = self
            .sandbox
            .prepare(&component)
            .map_err(|e| InstallError::WrongWorld(format!("{e:#}")))?;
        let manifest = self.read_manifest(&pre).await?;
        manifest::validate(&manifest)?;

        let already_present = self
            .store
            .plugin(&manifest.name)?
            .is_some_and(|p| p.versions.iter().any(|v| v.hash == hash));
        let version = VersionRecord {
            hash: hash.clone(),
            size: bytes.len() as u64,
            installed_at_ms: crate::now_ms(),
            manifest,
            uploaded_by: uploader.id.clone(),
        };
        let record = self
            .store
            .add_version(bytes, version.clone(), uploader.admin)?;
        self.sandbox
            .cache_component(&self.store, &hash, &component)?;
        self.activate(&record, pre);
        let approval = if record.active_is_approved() {
            "approved"
        } else {
            "awaiting approval"
        };
        self.audit.record(AuditEvent {
            actor: uploader.id.clone(),
            action: "install".into(),
            plugin: Some(record.name.clone()),
            detail: format!(
                "version {} sha256 {hash} ({approval})",
                version.manifest.version
            ),
            outcome: "ok".into(),
            ..AuditEvent::default()
        })?;
        tracing::info!(plugin = %record.name, version = %version.manifest.version, %hash, "installed");
        // Nobody listening (no chat adapter that asks admins) is fine.
        let _ = self.installs.send(record.name.clone());
        Ok(Installed {
            record,
            version,
            already_present,
        })
    }

    async fn read_manifest(
        &self,
        pre: &crate::sandbox::PluginPre<crate::sandbox::InvocationState>,
    ) -> Result<manifest::Manifest, InstallError> {
        let context = std::sync::Arc::new(crate::sandbox::PluginContext {
            name: "(installing)".into(),
            store: self.store.clone(),
            kv_quota: 0,
            config: Default::default(),
            permissions: self.permissions.clone(),
            egress: self.egress.clone(),
            approved: false,
            outbox: self.outbox.clone(),
        });
        let running = self
            .sandbox
            .instantiate(pre, &context, "install".into())
            .await
            .map_err(InstallError::ManifestCall)?;
        running.manifest().await.map_err(InstallError::ManifestCall)
    }

    /// Makes the version before the active one serve commands again.
    pub async fn rollback(&self, actor: &str, name: &str) -> anyhow::Result<PluginRecord> {
        let record = self.store.rollback(name)?;
        self.load_plugin(&record)?;
        self.audit_plugin(
            actor,
            "rollback",
            name,
            format!("to sha256 {}", record.active),
        )?;
        Ok(record)
    }

    /// Removes a plugin and all its versions.
    pub fn remove(&self, actor: &str, name: &str) -> anyhow::Result<PluginRecord> {
        let record = self.store.remove_plugin(name)?;
        self.registry.remove(name);
        self.audit_plugin(
            actor,
            "remove",
            name,
            format!("{} version(s)", record.versions.len()),
        )?;
        Ok(record)
    }

    /// Lets the active version use the plugin's grants (carries them forward to it).
    pub fn approve(&self, actor: &str, name: &str) -> anyhow::Result<PluginRecord> {
        let record = self.store.approve(name)?;
        self.load_plugin(&record)?;
        self.audit_plugin(actor, "approve", name, format!("sha256 {}", record.active))?;
        Ok(record)
    }

    fn audit_plugin(
        &self,
        actor: &str,
        action: &str,
        plugin: &str,
        detail: String,
    ) -> anyhow::Result<()> {
        self.audit.record(AuditEvent {
            actor: actor.to_string(),
            action: action.to_string(),
            plugin: Some(plugin.to_string()),
            detail,
            outcome: "ok".into(),
            ..AuditEvent::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        assert!(matches!(check_header(b""), Err(InstallError::NotWasm)));
        assert!(matches!(
            check_header(b"hello world!"),
            Err(InstallError::NotWasm)
        ));
        assert!(matches!(
            check_header(b"\0asm\x01\0\0\0"),
            Err(InstallError::CoreModule)
        ));
        assert!(matches!(check_header(b"\0asm\x0d\0\x01\0"), Ok(())));
        assert!(matches!(
            check_header(b"\0asm\x0e\0\x01\0"),
            Err(InstallError::UnknownVersion(_))
        ));
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            content_hash(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
