//! Secrets at rest (server only): the settings an app marks `secret` are sealed with
//! XChaCha20-Poly1305 before they are stored, and opened only on the server when the app
//! needs them.
//!
//! The key comes from `JUNCTION_SECRET_KEY` (base64 of 32 bytes; several, comma-separated,
//! newest first, while a rotation is under way) or else from `secret.key` in the data
//! directory, created on first run with mode 0600 (one key per line, newest first). A
//! sealed value names the key it was sealed under, so `junction secrets rotate` can add a
//! new key and re-seal every secret while servers keep running: a server that meets a key
//! it does not know reads the key file again.

use std::path::{Path, PathBuf};
use std::sync::RwLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

/// The environment variable that holds the key(s), newest first.
pub const KEY_ENV: &str = "JUNCTION_SECRET_KEY";
/// The key file's name in the data directory.
pub const KEY_FILE: &str = "secret.key";
const PREFIX: &str = "sealed:v1:";

#[derive(Clone)]
struct NamedKey {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl NamedKey {
    fn new(bytes: &[u8]) -> NamedKey {
        let digest = Sha256::digest(bytes);
        NamedKey {
            id: digest[..4].iter().map(|b| format!("{b:02x}")).collect(),
            cipher: XChaCha20Poly1305::new(Key::from_slice(bytes)),
        }
    }
}

/// Where the keys came from, so they can be read again.
#[derive(Debug, Clone)]
enum Source {
    Env,
    File(PathBuf),
    /// Tests: keys given in code.
    Fixed,
}

/// The keys secrets are sealed with: the first seals, all of them open.
pub struct Keyring {
    keys: RwLock<Vec<NamedKey>>,
    source: Source,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the keys themselves.
        write!(f, "Keyring({:?})", self.source)
    }
}

fn parse_keys(text: &str, separator: char) -> Result<Vec<NamedKey>, String> {
    let keys: Vec<NamedKey> = text
        .split(separator)
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| {
            let bytes = B64
                .decode(line)
                .map_err(|_| "a secret key is not base64".to_owned())?;
            if bytes.len() != 32 {
                return Err(format!(
                    "a secret key must be 32 bytes, this one has {}",
                    bytes.len()
                ));
            }
            Ok(NamedKey::new(&bytes))
        })
        .collect::<Result<_, String>>()?;
    if keys.is_empty() {
        return Err("no secret key is given".into());
    }
    Ok(keys)
}

/// A new random key, as base64.
pub fn new_key() -> String {
    B64.encode(XChaCha20Poly1305::generate_key(&mut OsRng))
}

fn key_path(data_dir: &Path) -> PathBuf {
    data_dir.join(KEY_FILE)
}

fn write_key_file(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    let temporary = path.with_extension("key.new");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&temporary)
        .map_err(|e| format!("cannot write {}: {e}", temporary.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", temporary.display()))?;
    std::fs::rename(&temporary, path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

impl Keyring {
    /// The keys from `JUNCTION_SECRET_KEY`, else from the data directory's key file (made
    /// with a new key, mode 0600, when there is none).
    pub fn load(data_dir: &Path) -> Result<Keyring, String> {
        if let Ok(text) = std::env::var(KEY_ENV)
            && !text.trim().is_empty()
        {
            let keys = parse_keys(&text, ',').map_err(|e| format!("{KEY_ENV}: {e}"))?;
            return Ok(Keyring {
                keys: RwLock::new(keys),
                source: Source::Env,
            });
        }
        let path = key_path(data_dir);
        if !path.exists() {
            std::fs::create_dir_all(data_dir)
                .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
            write_key_file(&path, &format!("{}\n", new_key()))?;
            tracing::info!(path = %path.display(), "created a new secret key");
        }
        let keys = Self::read_file(&path)?;
        Ok(Keyring {
            keys: RwLock::new(keys),
            source: Source::File(path),
        })
    }

    fn read_file(path: &Path) -> Result<Vec<NamedKey>, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        parse_keys(&text, '\n').map_err(|e| format!("{}: {e}", path.display()))
    }

    /// A keyring of the given base64 keys, newest first (tests).
    pub fn fixed(keys: &[&str]) -> Result<Keyring, String> {
        Ok(Keyring {
            keys: RwLock::new(parse_keys(&keys.join(","), ',')?),
            source: Source::Fixed,
        })
    }

    fn keys(&self) -> Vec<NamedKey> {
        self.keys.read().map(|k| k.clone()).unwrap_or_default()
    }

    /// The id of the key that seals new secrets.
    pub fn current_id(&self) -> String {
        self.keys().first().map(|k| k.id.clone()).unwrap_or_default()
    }

    /// Whether `value` is a sealed secret rather than plain text.
    pub fn is_sealed(value: &str) -> bool {
        value.starts_with(PREFIX)
    }

    /// Seals `plain` under the newest key.
    pub fn seal(&self, plain: &str) -> Result<String, String> {
        let key = self
            .keys()
            .into_iter()
            .next()
            .ok_or("no secret key is loaded")?;
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let mut sealed = nonce.to_vec();
        sealed.extend(
            key.cipher
                .encrypt(&nonce, plain.as_bytes())
                .map_err(|_| "a secret could not be sealed")?,
        );
        Ok(format!("{PREFIX}{}:{}", key.id, B64.encode(sealed)))
    }

    /// Opens a sealed secret. A key this server does not know sends it to read the key
    /// file again (another process may have rotated it).
    pub fn open(&self, sealed: &str) -> Result<String, String> {
        let rest = sealed
            .strip_prefix(PREFIX)
            .ok_or("the value is not a sealed secret")?;
        let (id, body) = rest.split_once(':').ok_or("a sealed secret is malformed")?;
        let key = match self.keys().into_iter().find(|k| k.id == id) {
            Some(key) => key,
            None => {
                self.reload();
                self.keys()
                    .into_iter()
                    .find(|k| k.id == id)
                    .ok_or_else(|| format!("a secret is sealed under the key {id}, which this server does not have"))?
            }
        };
        let bytes = B64.decode(body).map_err(|_| "a sealed secret is malformed")?;
        if bytes.len() < 24 {
            return Err("a sealed secret is malformed".into());
        }
        let (nonce, cipher_text) = bytes.split_at(24);
        let plain = key
            .cipher
            .decrypt(XNonce::from_slice(nonce), cipher_text)
            .map_err(|_| "a secret could not be opened: it was changed or sealed under another key")?;
        String::from_utf8(plain).map_err(|_| "a secret is not text".into())
    }

    fn reload(&self) {
        if let Source::File(path) = &self.source
            && let Ok(keys) = Self::read_file(path)
            && let Ok(mut current) = self.keys.write()
        {
            *current = keys;
        }
    }

    /// Starts a rotation: a new key becomes the one that seals, the older ones still open.
    /// With the key file it is written there (running servers read it when they meet the
    /// new key); with `JUNCTION_SECRET_KEY` the new value is returned for the operator to
    /// set.
    pub fn add_key(&self) -> Result<Option<String>, String> {
        let fresh = new_key();
        let mut keys = vec![NamedKey::new(&B64.decode(&fresh).map_err(|e| e.to_string())?)];
        keys.extend(self.keys());
        let value = match &self.source {
            Source::File(path) => {
                let mut text = fresh.clone();
                text.push('\n');
                let old = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                text.push_str(&old);
                write_key_file(path, &text)?;
                None
            }
            Source::Env => {
                let old = std::env::var(KEY_ENV).unwrap_or_default();
                Some(format!("{fresh},{}", old.trim()))
            }
            Source::Fixed => None,
        };
        if let Ok(mut current) = self.keys.write() {
            *current = keys;
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_round_trips_and_the_sealed_text_hides_it() {
        let ring = Keyring::fixed(&[&new_key()]).unwrap();
        let sealed = ring.seal("hunter2-smtp-password").unwrap();
        assert!(Keyring::is_sealed(&sealed));
        assert!(!sealed.contains("hunter2"));
        assert_ne!(sealed, ring.seal("hunter2-smtp-password").unwrap(), "a fresh nonce each time");
        assert_eq!(ring.open(&sealed).unwrap(), "hunter2-smtp-password");
    }

    #[test]
    fn a_changed_or_foreign_secret_does_not_open() {
        let ring = Keyring::fixed(&[&new_key()]).unwrap();
        let other = Keyring::fixed(&[&new_key()]).unwrap();
        let sealed = ring.seal("s").unwrap();
        assert!(other.open(&sealed).unwrap_err().contains("does not have"));
        let mut tampered = sealed.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        assert!(ring.open(&tampered).is_err());
        assert!(ring.open("plain").is_err());
    }

    #[test]
    fn the_key_file_is_made_private_and_a_rotation_keeps_old_secrets_readable() {
        let dir = std::env::temp_dir().join(format!("junction-keys-{}", uuid::Uuid::new_v4()));
        let ring = Keyring::load(&dir).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let old = ring.seal("before").unwrap();
        let old_id = ring.current_id();
        // Another process (the rotate command) adds a key; this one meets it in a secret.
        let rotator = Keyring::load(&dir).unwrap();
        rotator.add_key().unwrap();
        let new = rotator.seal("after").unwrap();
        assert_ne!(rotator.current_id(), old_id);
        assert_eq!(ring.open(&new).unwrap(), "after", "the running server reads the file again");
        assert_eq!(rotator.open(&old).unwrap(), "before");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
