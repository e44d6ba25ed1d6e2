//! The platform's own signing key, for URLs it hands out (GetFunctionCode's
//! download URL): 32 random bytes made on first start and kept in the data dir
//! as `url-signing.key` (hex, mode 0600).
//!
//! Nothing public goes into it: the account id is printed in the banner and
//! given to every guest, so a URL signed with it could be minted by anyone.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::control::auth::AuthError;

/// The file under the data dir that holds the key.
pub const KEY_FILE: &str = "url-signing.key";

/// Signs and checks `(resource, expires)` pairs with the platform's secret.
#[derive(Clone)]
pub struct UrlSigner {
    key: [u8; 32],
}

impl std::fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UrlSigner(..)") // never the key
    }
}

impl UrlSigner {
    /// Loads the key from `data_dir`, or makes and saves a new one (mode 0600).
    /// A file that is not 64 hex digits is an error, not silently replaced: a
    /// new key would quietly invalidate every URL handed out.
    pub fn load_or_generate(data_dir: &Path) -> std::io::Result<Self> {
        let path = data_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_hex(&text)
                .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display()))),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let signer = Self::generate()?;
                crate::control::credentials::write_private(&path, signer.to_hex().as_bytes())?;
                Ok(signer)
            }
            Err(err) => Err(err),
        }
    }

    /// A signer with a new random key.
    pub fn generate() -> std::io::Result<Self> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(std::io::Error::other)?;
        Ok(Self { key })
    }

    /// A signer from its key as 64 hex digits (how it is stored).
    pub fn from_hex(text: &str) -> Result<Self, String> {
        let mut key = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut key)
            .map_err(|e| format!("not a 32-byte hex key: {e}"))?;
        Ok(Self { key })
    }

    /// The key as 64 hex digits, for the store several nodes share (never logged).
    pub fn to_hex(&self) -> String {
        hex::encode(self.key)
    }

    /// A signer with a given key (tests).
    pub fn with_key(key: [u8; 32]) -> Self {
        Self { key }
    }

    fn mac(&self, resource: &str, expires: u64) -> Hmac<Sha256> {
        // A 32-byte key is always a valid HMAC key.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(resource.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    /// The hex signature that authorizes `resource` until `expires` (Unix seconds).
    pub fn sign(&self, resource: &str, expires: u64) -> String {
        hex::encode(self.mac(resource, expires).finalize().into_bytes())
    }

    /// Checks a signature in constant time, then the expiry against `now`.
    pub fn verify(
        &self,
        resource: &str,
        expires: u64,
        signature: &str,
        now: SystemTime,
    ) -> Result<(), AuthError> {
        let sent = hex::decode(signature).map_err(|_| AuthError::SignatureMismatch)?;
        self.mac(resource, expires)
            .verify_slice(&sent)
            .map_err(|_| AuthError::SignatureMismatch)?;
        let now = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        if expires < now {
            return Err(AuthError::Expired(expires.to_string()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn signs_with_a_private_random_key_kept_across_starts() {
        let dir = tempfile::tempdir().unwrap();
        let first = UrlSigner::load_or_generate(dir.path()).unwrap();
        let again = UrlSigner::load_or_generate(dir.path()).unwrap();
        assert_eq!(first.sign("a.zip", 10), again.sign("a.zip", 10));
        let other = UrlSigner::load_or_generate(tempfile::tempdir().unwrap().path()).unwrap();
        assert_ne!(first.sign("a.zip", 10), other.sign("a.zip", 10));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn refuses_other_resources_other_expiries_and_expired_urls() {
        let signer = UrlSigner::with_key([7; 32]);
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let sig = signer.sign("a.zip", 2_000);
        assert_eq!(signer.verify("a.zip", 2_000, &sig, now), Ok(()));
        assert_eq!(
            signer.verify("b.zip", 2_000, &sig, now),
            Err(AuthError::SignatureMismatch)
        );
        assert_eq!(
            signer.verify("a.zip", 9_999, &sig, now),
            Err(AuthError::SignatureMismatch)
        );
        assert_eq!(
            signer.verify("a.zip", 2_000, "zz", now),
            Err(AuthError::SignatureMismatch)
        );
        let late = UNIX_EPOCH + Duration::from_secs(2_001);
        assert_eq!(
            signer.verify("a.zip", 2_000, &sig, late),
            Err(AuthError::Expired("2000".into()))
        );
    }

    #[test]
    fn a_damaged_key_file_is_an_error_not_a_new_key() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(KEY_FILE), "not hex").unwrap();
        assert!(UrlSigner::load_or_generate(dir.path()).is_err());
    }
}
