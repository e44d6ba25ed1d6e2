//! The access key pair the API accepts. From `WASM_FC_ACCESS_KEY_ID` /
//! `WASM_FC_ACCESS_KEY_SECRET` when set; otherwise generated on first start and
//! saved as `credentials.json` (mode 0600) in the data dir, then reused.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// One access key pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    #[serde(rename = "accessKeyId")]
    pub access_key_id: String,
    #[serde(rename = "accessKeySecret")]
    pub access_key_secret: String,
}

impl Credentials {
    /// The secret for `key_id`, if it is ours.
    pub fn secret_for(&self, key_id: &str) -> Option<String> {
        (key_id == self.access_key_id).then(|| self.access_key_secret.clone())
    }

    /// The bearer token object stores post bucket notifications with
    /// (`POST /_wasm-fc/oss/notifications`): HMAC-SHA256 of a fixed label
    /// under the secret, in hex. It proves knowledge of the secret without
    /// handing the secret itself to MinIO's or Ceph's configuration.
    pub fn notification_token(&self) -> String {
        use hmac::{Hmac, Mac};
        let mut mac = match Hmac::<sha2::Sha256>::new_from_slice(self.access_key_secret.as_bytes())
        {
            Ok(mac) => mac,
            // HMAC takes a key of any length; this arm never runs.
            Err(_) => return String::new(),
        };
        mac.update(b"wasm-fc/oss-notifications");
        hex::encode(mac.finalize().into_bytes())
    }

    /// A new random pair (`WFC` + 17 characters; a 40-character secret).
    pub fn generate() -> Self {
        let random = || uuid::Uuid::new_v4().simple().to_string();
        Self {
            access_key_id: format!("WFC{}", &random()[..17].to_uppercase()),
            access_key_secret: format!("{}{}", random(), &random()[..8]),
        }
    }

    /// Saves the pair as the data dir's `credentials.json` (mode 0600),
    /// replacing what was there: a node on a shared store keeps a local copy
    /// of the cluster's pair, so `wasm-fc` commands run beside it find it.
    pub fn save(&self, data_dir: &Path) -> std::io::Result<()> {
        let path = data_dir.join("credentials.json");
        if let Ok(text) = std::fs::read_to_string(&path)
            && serde_json::from_str::<Self>(&text).ok().as_ref() == Some(self)
        {
            return Ok(());
        }
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        write_private(&path, text.as_bytes())
    }

    /// Loads the saved pair or generates and saves a new one.
    pub fn load_or_generate(data_dir: &Path) -> std::io::Result<Self> {
        let path = data_dir.join("credentials.json");
        if let Ok(text) = std::fs::read_to_string(&path) {
            return serde_json::from_str(&text)
                .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())));
        }
        let created = Self::generate();
        let text = serde_json::to_string_pretty(&created).map_err(std::io::Error::other)?;
        write_private(&path, text.as_bytes())?;
        Ok(created)
    }
}

/// Writes a new file readable only by its owner (fails if it exists).
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_then_reused_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = Credentials::load_or_generate(dir.path()).unwrap();
        let again = Credentials::load_or_generate(dir.path()).unwrap();
        assert_eq!(first, again);
        assert!(first.secret_for(&first.access_key_id).is_some());
        assert!(first.secret_for("other").is_none());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("credentials.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
