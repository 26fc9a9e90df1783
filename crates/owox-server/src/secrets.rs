//! Sealing storage credentials at rest: XChaCha20-Poly1305 (RustCrypto `chacha20poly1305`)
//! with a 32-byte server key, a random 24-byte nonce per seal, and the credential's id as
//! associated data, so a sealed value copied onto another row does not open.
//!
//! The key comes from `OWOX_SECRET_KEY` (what several instances sharing one metadata store
//! must all be given), or is generated once into `<data dir>/secret.key` (mode 0600). Keys in
//! `OWOX_SECRET_KEY_PREVIOUS` still open old seals after a rotation; `owox credentials
//! reseal` re-seals every credential with the current key (docs/operations.md).

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore as _;

use crate::config::Config;

const VERSION: &str = "v1.";
const KEY_FILE: &str = "secret.key";

/// Seals and opens secrets with the current key; opens with earlier keys too.
#[derive(Clone)]
pub struct SecretBox {
    current: [u8; 32],
    previous: Vec<[u8; 32]>,
}

fn cipher(key: &[u8; 32]) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(key))
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(<keys redacted>)")
    }
}

/// A key in base64 (standard or URL-safe, padded or not) that decodes to 32 bytes.
pub fn decode_key(text: &str) -> Option<[u8; 32]> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let text = text.trim();
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .and_then(|bytes| bytes.try_into().ok())
}

impl SecretBox {
    pub fn new(current: &[u8; 32], previous: &[[u8; 32]]) -> SecretBox {
        SecretBox {
            current: *current,
            previous: previous.to_vec(),
        }
    }

    /// The configured key, or the data directory's generated one (created on first use).
    pub fn from_config(config: &Config) -> anyhow::Result<SecretBox> {
        let current = match &config.secret_key {
            Some(text) => decode_key(text).context("OWOX_SECRET_KEY is not a 32-byte key")?,
            None => key_file(&config.data_dir)?,
        };
        let previous: Vec<[u8; 32]> = config
            .previous_secret_keys
            .iter()
            .filter_map(|k| decode_key(k))
            .collect();
        Ok(SecretBox::new(&current, &previous))
    }

    /// Seals `plain`, bound to `context` (the credential id).
    pub fn seal(&self, plain: &[u8], context: &str) -> anyhow::Result<String> {
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = cipher(&self.current)
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("sealing failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!(
            "{VERSION}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
        ))
    }

    /// Opens a sealed value; the error never contains the secret.
    pub fn open(&self, sealed: &str, context: &str) -> anyhow::Result<Vec<u8>> {
        open_with(
            std::iter::once(&self.current).chain(&self.previous),
            sealed,
            context,
        )
    }

    /// Seals a value as JSON (credentials are JSON objects).
    pub fn seal_json(
        &self,
        value: &impl serde::Serialize,
        context: &str,
    ) -> anyhow::Result<String> {
        self.seal(&serde_json::to_vec(value)?, context)
    }

    /// Opens a value sealed with [`SecretBox::seal_json`]; the error never contains it.
    pub fn open_json<T: serde::de::DeserializeOwned>(
        &self,
        sealed: &str,
        context: &str,
    ) -> anyhow::Result<T> {
        serde_json::from_slice(&self.open(sealed, context)?).map_err(|_| {
            anyhow::anyhow!("the secret sealed for {context} is not the expected JSON")
        })
    }

    /// Whether `sealed` opens with the current key (false: it needs re-sealing).
    pub fn is_current(&self, sealed: &str, context: &str) -> bool {
        open_with(std::iter::once(&self.current), sealed, context).is_ok()
    }
}

fn open_with<'k>(
    keys: impl Iterator<Item = &'k [u8; 32]>,
    sealed: &str,
    context: &str,
) -> anyhow::Result<Vec<u8>> {
    let body = sealed
        .strip_prefix(VERSION)
        .context("unknown sealed-secret format")?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(body)
        .context("sealed secret is not base64url")?;
    if bytes.len() < 24 + 16 {
        anyhow::bail!("sealed secret is truncated");
    }
    let (nonce, ciphertext) = bytes.split_at(24);
    let mut keys = keys;
    keys.find_map(|key| {
                cipher(key)
                    .decrypt(
                        XNonce::from_slice(nonce),
                        Payload {
                            msg: ciphertext,
                            aad: context.as_bytes(),
                        },
                    )
                    .ok()
            })
            .context(
                "a stored credential cannot be opened with OWOX_SECRET_KEY (or OWOX_SECRET_KEY_PREVIOUS): was the key changed without keeping the old one?",
            )
}

/// Reads `<dir>/secret.key`, creating it (0600, 32 random bytes) if it does not exist. The key
/// is written to a private temporary file first and linked into place, so a concurrent start
/// never reads a half-written key and two starts cannot create two keys.
fn key_file(dir: &Path) -> anyhow::Result<[u8; 32]> {
    let path = dir.join(KEY_FILE);
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    if !path.exists() {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        let mut tmp = tempfile::Builder::new()
            .prefix(".secret.key.")
            .tempfile_in(dir)
            .with_context(|| format!("creating a key file in {}", dir.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        tmp.write_all(
            base64::engine::general_purpose::STANDARD
                .encode(key)
                .as_bytes(),
        )?;
        tmp.as_file().sync_all()?;
        match std::fs::hard_link(tmp.path(), &path) {
            Ok(()) => return Ok(key),
            // Another start created it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
        }
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    decode_key(&text)
        .with_context(|| format!("{} does not hold a 32-byte base64 key", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_open_only_with_their_key_and_row() {
        let a = SecretBox::new(&[1; 32], &[]);
        let sealed = a.seal(b"{\"password\":\"p\"}", "cred-1").unwrap();
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("password"));
        assert_eq!(a.open(&sealed, "cred-1").unwrap(), b"{\"password\":\"p\"}");
        // Another row's id, another key, a flipped byte: all refused.
        assert!(a.open(&sealed, "cred-2").is_err());
        assert!(SecretBox::new(&[2; 32], &[])
            .open(&sealed, "cred-1")
            .is_err());
        let mut bytes = sealed.into_bytes();
        let last = bytes.len() - 2;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert!(a
            .open(&String::from_utf8(bytes).unwrap(), "cred-1")
            .is_err());
        // Two seals of one secret differ (random nonces).
        assert_ne!(a.seal(b"x", "c").unwrap(), a.seal(b"x", "c").unwrap());
    }

    #[test]
    fn previous_keys_open_old_seals_after_a_rotation() {
        let old = SecretBox::new(&[1; 32], &[]);
        let sealed = old.seal(b"secret", "c").unwrap();
        let rotated = SecretBox::new(&[2; 32], &[[1; 32]]);
        assert_eq!(rotated.open(&sealed, "c").unwrap(), b"secret");
        assert!(!rotated.is_current(&sealed, "c"));
        let resealed = rotated.seal(b"secret", "c").unwrap();
        assert!(rotated.is_current(&resealed, "c"));
    }

    #[test]
    fn key_file_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        // Concurrent first starts agree on one key.
        let keys: Vec<[u8; 32]> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| key_file(dir.path()).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.iter().all(|k| *k == keys[0]));
        let first = key_file(dir.path()).unwrap();
        assert_eq!(first, keys[0]);
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "temporary key files are removed");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(dir.path().join(KEY_FILE), "short").unwrap();
        assert!(key_file(dir.path()).is_err());
    }

    #[test]
    fn keys_decode_from_any_base64_flavour() {
        let key = [7u8; 32];
        for engine in [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ] {
            assert_eq!(decode_key(&engine.encode(key)), Some(key));
        }
        assert_eq!(decode_key("too short"), None);
        assert_eq!(
            decode_key(&base64::engine::general_purpose::STANDARD.encode([1u8; 16])),
            None
        );
    }
}
