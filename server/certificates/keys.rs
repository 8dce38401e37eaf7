//! The certificate-signing keys: Ed25519 key pairs kept in `<data_dir>/certificate-keys/` (one
//! PKCS#8 PEM file per key, readable by the owner only). The newest file is the one that signs;
//! older ones stay so that rotation never makes an issued certificate unverifiable. Each key's
//! public half is also registered in the database (see `store::register_key`), so the JWKS every
//! server publishes lists every key any server ever signed with.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::SigningKey;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Folder inside the data folder that holds the key files.
pub const KEYS_DIR: &str = "certificate-keys";

/// Why the keys could not be read or made.
#[derive(Debug)]
pub struct KeyError {
    pub path: PathBuf,
    pub problem: String,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "certificate key {}: {}",
            self.path.display(),
            self.problem
        )
    }
}

impl std::error::Error for KeyError {}

/// The public half of a signing key, as published in the JWKS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKey {
    pub kid: String,
    /// The raw 32-byte Ed25519 public key, base64url without padding (the JWK `x`).
    pub x: String,
}

impl PublicKey {
    pub fn from_bytes(bytes: &[u8; 32]) -> PublicKey {
        let x = URL_SAFE_NO_PAD.encode(bytes);
        PublicKey {
            kid: thumbprint(&x),
            x,
        }
    }

    /// The key as a JWK (RFC 8037), ready for a JWKS.
    pub fn jwk(&self) -> serde_json::Value {
        serde_json::json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": self.x,
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        })
    }

    pub fn decoding_key(&self) -> Result<DecodingKey, jsonwebtoken::errors::Error> {
        DecodingKey::from_ed_components(&self.x)
    }
}

/// A JWKS document (`{"keys": [...]}`) listing these keys.
pub fn jwks(keys: &[PublicKey]) -> serde_json::Value {
    serde_json::json!({ "keys": keys.iter().map(PublicKey::jwk).collect::<Vec<_>>() })
}

/// Read the public keys out of a JWKS document (OKP/Ed25519 entries only).
pub fn from_jwks(doc: &serde_json::Value) -> Vec<PublicKey> {
    doc.get("keys")
        .and_then(|k| k.as_array())
        .map(|keys| {
            keys.iter()
                .filter(|k| k["kty"] == "OKP" && k["crv"] == "Ed25519")
                .filter_map(|k| {
                    let x = k["x"].as_str()?.to_string();
                    let kid = k["kid"]
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| thumbprint(&x));
                    Some(PublicKey { kid, x })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The RFC 7638 JWK thumbprint of an Ed25519 key: the key id.
pub fn thumbprint(x: &str) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// A key that signs: its id and the private key.
#[derive(Clone)]
pub struct Signer {
    pub public: PublicKey,
    encoding: EncodingKey,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signer({})", self.public.kid)
    }
}

impl Signer {
    fn from_signing_key(key: &SigningKey) -> Result<Signer, String> {
        let der = key
            .to_pkcs8_der()
            .map_err(|e| format!("cannot encode the key: {e}"))?;
        Ok(Signer {
            public: PublicKey::from_bytes(&key.verifying_key().to_bytes()),
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
        })
    }

    /// A fresh key that is not stored anywhere (tests, throwaway tools).
    pub fn ephemeral() -> Signer {
        Signer::from_signing_key(&generate()).expect("a fresh key encodes")
    }

    pub fn kid(&self) -> &str {
        &self.public.kid
    }

    /// Sign `claims` as a compact JWS with `alg: EdDSA`, this key's `kid` and the given `typ`.
    pub fn sign<T: Serialize>(&self, typ: &str, claims: &T) -> Result<String, String> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.public.kid.clone());
        header.typ = Some(typ.to_string());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| format!("cannot sign: {e}"))
    }
}

fn generate() -> SigningKey {
    let mut seed = [0u8; 32];
    rand::rng().fill_bytes(&mut seed);
    SigningKey::from_bytes(&seed)
}

/// All the keys in the data folder: the newest signs, all verify.
#[derive(Debug, Clone)]
pub struct Keyring {
    pub current: Signer,
    /// Every key in the folder, oldest first (the current one last).
    pub all: Vec<PublicKey>,
}

impl Keyring {
    /// Read the key files, creating the folder and a first key if there is none.
    pub fn load_or_create(data_dir: &Path) -> Result<Keyring, KeyError> {
        let dir = data_dir.join(KEYS_DIR);
        let mut files = key_files(&dir)?;
        if files.is_empty() {
            files.push(write_new_key(&dir)?);
        }
        let mut all = Vec::new();
        let mut current = None;
        for path in &files {
            let signer = read_key(path)?;
            all.push(signer.public.clone());
            current = Some(signer);
        }
        Ok(Keyring {
            current: current.expect("at least one key"),
            all,
        })
    }

    /// Make a new key that signs from now on; the old ones stay for verification.
    pub fn rotate(data_dir: &Path) -> Result<Keyring, KeyError> {
        write_new_key(&data_dir.join(KEYS_DIR))?;
        Keyring::load_or_create(data_dir)
    }
}

fn key_files(dir: &Path) -> Result<Vec<PathBuf>, KeyError> {
    let err = |problem: String| KeyError {
        path: dir.to_path_buf(),
        problem,
    };
    crate::secrets::create_private_dir(dir).map_err(|e| {
        err(format!(
            "cannot create the folder ({e}); check CAKAP_DATA_DIR and its permissions"
        ))
    })?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| err(format!("cannot read the folder ({e})")))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pem"))
        .collect();
    // Names start with the creation time, so name order is age order.
    files.sort();
    Ok(files)
}

fn write_new_key(dir: &Path) -> Result<PathBuf, KeyError> {
    let key = generate();
    let public = PublicKey::from_bytes(&key.verifying_key().to_bytes());
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f");
    let path = dir.join(format!("{stamp}-{}.pem", public.kid));
    let err = |problem: String| KeyError {
        path: path.clone(),
        problem,
    };
    crate::secrets::create_private_dir(dir)
        .map_err(|e| err(format!("cannot create the folder ({e})")))?;
    let pem = key
        .to_pkcs8_pem(Default::default())
        .map_err(|e| err(format!("cannot encode the key ({e})")))?;
    // appears whole (written aside, then linked into place): a server starting beside this
    // one never reads half a key
    crate::secrets::write_new_private(&path, pem.as_bytes())
        .map_err(|e| err(format!("cannot create the file ({e})")))?;
    tracing::info!(kid = %public.kid, "created a certificate-signing key");
    Ok(path)
}

fn read_key(path: &Path) -> Result<Signer, KeyError> {
    let err = |problem: String| KeyError {
        path: path.to_path_buf(),
        problem,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| err(format!("readable by others and cannot be fixed ({e})")))?;
            }
        }
    }
    let pem = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read ({e})")))?;
    let key = SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
        err(format!(
            "not an Ed25519 private key in PKCS#8 PEM ({e}); restore it from a backup or move it away to make a new key"
        ))
    })?;
    Signer::from_signing_key(&key).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_matches_rfc_8037_example() {
        // RFC 8037 appendix A.3: the thumbprint of the example Ed25519 key.
        assert_eq!(
            thumbprint("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }

    #[test]
    fn keys_are_created_once_private_and_rotate() {
        let dir = tempfile::tempdir().unwrap();
        let first = Keyring::load_or_create(dir.path()).unwrap();
        let again = Keyring::load_or_create(dir.path()).unwrap();
        assert_eq!(first.current.kid(), again.current.kid());
        assert_eq!(again.all.len(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let file = std::fs::read_dir(dir.path().join(KEYS_DIR))
                .unwrap()
                .next()
                .unwrap()
                .unwrap()
                .path();
            let mode = std::fs::metadata(file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let rotated = Keyring::rotate(dir.path()).unwrap();
        assert_ne!(rotated.current.kid(), first.current.kid());
        assert_eq!(rotated.all.len(), 2);
        assert!(rotated.all.contains(&first.current.public));
    }

    #[test]
    fn a_broken_key_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(KEYS_DIR)).unwrap();
        std::fs::write(dir.path().join(KEYS_DIR).join("x.pem"), "nonsense").unwrap();
        let e = Keyring::load_or_create(dir.path()).unwrap_err();
        assert!(e.to_string().contains("x.pem"), "{e}");
        assert!(e.to_string().contains("PKCS#8"), "{e}");
    }

    #[test]
    fn jwks_round_trips() {
        let s = Signer::ephemeral();
        let doc = jwks(std::slice::from_ref(&s.public));
        assert_eq!(from_jwks(&doc), vec![s.public.clone()]);
        assert_eq!(doc["keys"][0]["kid"], s.kid());
    }
}
