//! Secrets, encrypted at rest with XChaCha20-Poly1305.
//!
//! The master key comes from `COVE_MASTER_KEY` (64 hex characters) or from `master.key` in
//! the data directory, created with mode 0600 on first start. Each value is sealed with a
//! fresh random 192-bit nonce (large enough that random nonces never repeat) and the secret's
//! name as associated data, so a ciphertext copied under another name does not decrypt.
//! Plaintext values exist only in memory, only while a request or a `host.secret` call needs
//! them; they are never logged.

use std::path::Path;

use anyhow::{Context, bail};
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use super::Store;

/// Bytes of an XChaCha20 nonce, stored in front of each ciphertext.
const NONCE_BYTES: usize = 24;
/// Largest secret value accepted, in bytes: tokens and keys, not files.
pub const MAX_SECRET_BYTES: usize = 16 * 1024;
/// Name of the key file inside the data directory.
pub const KEY_FILE: &str = "master.key";

/// The key that seals every secret of one data directory.
#[derive(Clone)]
pub struct MasterKey(chacha20poly1305::Key);

impl MasterKey {
    /// From `COVE_MASTER_KEY` when set, otherwise from (or into) `<data dir>/master.key`.
    pub fn load(data_dir: &Path, from_env: Option<&str>) -> anyhow::Result<MasterKey> {
        if let Some(hex_key) = from_env {
            return Self::from_hex(hex_key.trim())
                .context("COVE_MASTER_KEY must be 64 hex characters");
        }
        let path = data_dir.join(KEY_FILE);
        if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            return Self::from_hex(text.trim())
                .with_context(|| format!("{} is corrupt", path.display()));
        }
        let key = XChaCha20Poly1305::generate_key(&mut OsRng);
        write_private(&path, hex::encode(key).as_bytes())?;
        tracing::info!(path = %path.display(), "created a new master key for secrets");
        Ok(MasterKey(key))
    }

    fn from_hex(text: &str) -> anyhow::Result<MasterKey> {
        let bytes = hex::decode(text)?;
        if bytes.len() != 32 {
            bail!("expected 32 bytes, got {}", bytes.len());
        }
        Ok(MasterKey(*chacha20poly1305::Key::from_slice(&bytes)))
    }

    fn seal(&self, name: &str, value: &[u8]) -> anyhow::Result<Vec<u8>> {
        let cipher = XChaCha20Poly1305::new(&self.0);
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: value,
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("cannot encrypt secret {name}"))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    fn open(&self, name: &str, stored: &[u8]) -> anyhow::Result<Vec<u8>> {
        if stored.len() < NONCE_BYTES {
            bail!("secret {name} is corrupt");
        }
        let (nonce, sealed) = stored.split_at(NONCE_BYTES);
        XChaCha20Poly1305::new(&self.0)
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("secret {name} cannot be decrypted with this master key"))
    }
}

/// Creates `path` readable and writable by the owner only.
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

impl Store {
    /// Seals and stores a secret; durable when this returns.
    pub fn set_secret(&self, key: &MasterKey, name: &str, value: &[u8]) -> anyhow::Result<()> {
        if value.len() > MAX_SECRET_BYTES {
            bail!(
                "the value is {} bytes; secrets hold at most {MAX_SECRET_BYTES}",
                value.len()
            );
        }
        self.secrets.insert(name, key.seal(name, value)?)?;
        self.flush()
    }

    /// The plaintext of secret `name`, if set.
    pub fn secret(&self, key: &MasterKey, name: &str) -> anyhow::Result<Option<Vec<u8>>> {
        self.secrets
            .get(name)?
            .map(|stored| key.open(name, &stored))
            .transpose()
    }

    /// Names of all secrets, sorted.
    pub fn secret_names(&self) -> anyhow::Result<Vec<String>> {
        self.secrets
            .iter()
            .keys()
            .map(|k| Ok(String::from_utf8_lossy(&k?).into_owned()))
            .collect()
    }

    /// Deletes a secret; true when it existed.
    pub fn remove_secret(&self, name: &str) -> anyhow::Result<bool> {
        let existed = self.secrets.remove(name)?.is_some();
        self.flush()?;
        Ok(existed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_are_bound_to_their_name() {
        let dir = tempfile::tempdir().unwrap();
        let key = MasterKey::load(dir.path(), None).unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        store
            .set_secret(&key, "GITHUB_TOKEN", b"ghp_example")
            .unwrap();
        assert_eq!(
            store.secret(&key, "GITHUB_TOKEN").unwrap().unwrap(),
            b"ghp_example"
        );
        let sealed = store.secrets.get("GITHUB_TOKEN").unwrap().unwrap();
        assert!(
            key.open("OTHER", &sealed).is_err(),
            "a value moved to another name must not open"
        );
        let other = MasterKey::from_hex(&"11".repeat(32)).unwrap();
        assert!(store.secret(&other, "GITHUB_TOKEN").is_err());
        assert_eq!(
            store.secret_names().unwrap(),
            vec!["GITHUB_TOKEN".to_string()]
        );
        assert!(store.remove_secret("GITHUB_TOKEN").unwrap());
    }

    #[test]
    fn key_file_is_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = MasterKey::load(dir.path(), None).unwrap();
        let again = MasterKey::load(dir.path(), None).unwrap();
        assert_eq!(first.0, again.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(MasterKey::load(dir.path(), Some("not hex")).is_err());
    }
}
