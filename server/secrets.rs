//! Secrets generated on first run and kept in the data folder, readable by the owner only.
//!
//! Several servers behind a load balancer must share the same files (copy the data folder's
//! `*.key` files to each), so that a session made by one server is accepted by the others.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use rand::RngCore;

/// File name of the session-signing key inside the data folder.
pub const SESSION_KEY_FILE: &str = "session.key";

/// Length of a generated key, in bytes (stored as hex).
const KEY_BYTES: usize = 64;

#[derive(Clone)]
pub struct Secrets {
    /// Signs session tokens (HS256) and CSRF tokens.
    pub session_key: Vec<u8>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secrets(..)")
    }
}

#[derive(Debug)]
pub struct SecretError {
    pub path: PathBuf,
    pub problem: String,
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "secret file {}: {}", self.path.display(), self.problem)
    }
}

impl std::error::Error for SecretError {}

impl Secrets {
    /// Read the secrets from `data_dir`, creating the folder and any missing key.
    pub fn load_or_create(data_dir: &Path) -> Result<Secrets, SecretError> {
        create_private_dir(data_dir).map_err(|e| SecretError {
            path: data_dir.to_path_buf(),
            problem: format!(
                "cannot create the data folder ({e}); check CAKAP_DATA_DIR and its permissions"
            ),
        })?;
        // what an earlier version (or a copy) left readable by others becomes private
        tighten(data_dir);
        Ok(Secrets {
            session_key: load_or_create_key(&data_dir.join(SESSION_KEY_FILE))?,
        })
    }
}

fn load_or_create_key(path: &Path) -> Result<Vec<u8>, SecretError> {
    let err = |problem: String| SecretError {
        path: path.to_path_buf(),
        problem,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            restrict_permissions(path)
                .map_err(|e| err(format!("cannot set its permissions to 0600 ({e})")))?;
            let key = hex::decode(text.trim()).map_err(|_| {
                err("not a hex-encoded key; delete the file to generate a new one (everyone will have to log in again)".into())
            })?;
            if key.len() < 32 {
                return Err(err(format!(
                    "the key is {} bytes, at least 32 are needed; delete the file to generate a new one",
                    key.len()
                )));
            }
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = vec![0u8; KEY_BYTES];
            rand::rng().fill_bytes(&mut key);
            match write_new_private(path, format!("{}\n", hex::encode(&key)).as_bytes()) {
                Ok(()) => {}
                // another server sharing the data folder, starting at the same moment, made it
                // first: use theirs (it appeared whole, see `write_new_private`)
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return load_or_create_key(path);
                }
                Err(e) => {
                    return Err(err(format!(
                        "cannot create it ({e}); check that the data folder is writable"
                    )))
                }
            }
            tracing::info!(path = %path.display(), "generated a new secret key");
            Ok(key)
        }
        Err(e) => Err(err(format!("cannot read it ({e})"))),
    }
}

/// Create `path` with owner-only permissions and write `bytes`, durably. Fails (AlreadyExists)
/// if it exists. The file appears whole or not at all: it is written under a temporary name and
/// then linked into place, so a second server starting at the same moment never reads it half
/// written.
pub fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(
        ".{name}.{}.{:016x}.tmp",
        std::process::id(),
        rand::random::<u64>()
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = (|| {
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::hard_link(&tmp, path)
    })();
    let _ = std::fs::remove_file(&tmp);
    written
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), "secret file was readable by others; set to 0600");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict_permissions(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Create `dir` (and missing parents) readable by this user only (0700 on Unix). A folder that
/// already exists keeps its mode; [`tighten`] narrows those at start-up.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Write `bytes` to `path` (created or replaced) readable by this user only (0600 on Unix).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)
}

/// Create `path` empty, readable by this user only, unless it exists (SQLite then opens it, and
/// gives its `-wal` and `-shm` files the same mode).
pub fn touch_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Make everything under `dir` (itself included) private to this user: folders 0700, files
/// 0600. What a file or folder allows beyond that is removed; links are not followed. Unix only.
pub fn tighten(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::symlink_metadata(dir) else {
            return;
        };
        let (private, is_dir) = if meta.is_dir() {
            (0o700, true)
        } else if meta.is_file() {
            (0o600, false)
        } else {
            return;
        };
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            if let Err(e) =
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & private))
            {
                tracing::warn!(path = %dir.display(), error = %e, "could not make it private to this user");
            }
        }
        if is_dir {
            if let Ok(entries) = std::fs::read_dir(dir) {
                for e in entries.flatten() {
                    tighten(&e.path());
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_once_then_reads_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = Secrets::load_or_create(&data).unwrap();
        let second = Secrets::load_or_create(&data).unwrap();
        assert_eq!(first.session_key, second.session_key);
        assert_eq!(first.session_key.len(), KEY_BYTES);
    }

    #[cfg(unix)]
    #[test]
    fn key_file_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        Secrets::load_or_create(dir.path()).unwrap();
        let path = dir.path().join(SESSION_KEY_FILE);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        Secrets::load_or_create(dir.path()).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn a_damaged_key_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SESSION_KEY_FILE), "not hex").unwrap();
        let err = Secrets::load_or_create(dir.path()).unwrap_err().to_string();
        assert!(err.contains("session.key"), "{err}");
        assert!(err.contains("delete the file"), "{err}");
    }
}
