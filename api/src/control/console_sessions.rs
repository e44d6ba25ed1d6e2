//! Web console sessions: what a browser holds after signing in with an access
//! key pair, so that the page never keeps the secret.
//!
//! A session token is `v1.<key id, base64url>.<expires, Unix s>.<nonce>.<signature>`,
//! signed with the platform's own random key ([`UrlSigner`], the same secret
//! as code-download URLs; shared through the store when several nodes share
//! one, so a session works on every node). The signature also covers a digest
//! of the key pair's *secret*: rotating the secret ends every session made
//! with the old one, and a session acts with exactly the rights of the key it
//! was made with (a key that no longer exists authorizes nothing).
//!
//! The CSRF token of a session is derived from it (an HMAC under the same
//! key), so it needs no storage either; the console sends it as a header on
//! every write.
//!
//! Signing out revokes the session's nonce on this node until the session
//! would have expired ([`SESSION_LIFETIME`], 8 hours), and writes it to
//! [`SIGNOUTS_FILE`] in the data dir so that a restart does not bring the
//! session back. The browser's cookie is cleared at the same time.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dashmap::DashMap;
use sha2::{Digest, Sha256};

use crate::control::auth::constant_time_eq;
use crate::control::credentials::Credentials;
use crate::control::url_signing::UrlSigner;

/// How long a session lasts from sign-in: 8 hours (a working day; there is no
/// sliding renewal, so a stolen cookie is worth at most that).
pub const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 3600);

/// Most revoked sessions remembered at once (100,000): past that, the oldest
/// revocations are dropped first, which only matters after 100,000 sign-outs
/// inside 8 hours.
const MAX_REVOKED: usize = 100_000;

/// The data dir's file of signed-out sessions: one `<nonce> <expires>` line
/// each, compacted (expired lines dropped) at start.
pub const SIGNOUTS_FILE: &str = "console-signouts.txt";

/// Why a session token authorizes nothing.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SessionError {
    #[error("no console session; sign in with an access key pair")]
    Missing,
    #[error("the console session is not valid; sign in again")]
    Invalid,
    #[error("the console session expired; sign in again")]
    Expired,
    #[error("the console session was signed out; sign in again")]
    Revoked,
    #[error("the access key id or secret is not valid")]
    WrongKey,
}

/// A signed-in session: its token (the cookie's value) and the CSRF token
/// that goes with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token: String,
    pub access_key_id: String,
    pub csrf_token: String,
    /// Unix seconds.
    pub expires: u64,
}

/// Issues, checks and revokes console sessions.
#[derive(Debug, Default)]
pub struct ConsoleSessions {
    /// Revoked nonces and when their session would have expired (Unix s).
    revoked: DashMap<String, u64>,
    /// Where sign-outs are kept across restarts; `None` keeps them in memory.
    file: Option<PathBuf>,
}

impl ConsoleSessions {
    /// The sessions of a node whose data dir is `data_dir`: the sign-outs
    /// kept there still hold. A file that cannot be read or compacted is an
    /// error, not an empty list: that would bring signed-out sessions back.
    pub fn load(data_dir: &Path, now: SystemTime) -> std::io::Result<Self> {
        let path = data_dir.join(SIGNOUTS_FILE);
        let revoked = DashMap::new();
        let now = unix_seconds(now);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                for line in text.lines() {
                    if let Some((nonce, expires)) = line.split_once(' ')
                        && let Ok(expires) = expires.trim().parse::<u64>()
                        && expires >= now
                    {
                        revoked.insert(nonce.to_string(), expires);
                    }
                }
                let kept: String = revoked
                    .iter()
                    .map(|entry| format!("{} {}\n", entry.key(), entry.value()))
                    .collect();
                let temporary = path.with_extension("txt.tmp");
                std::fs::write(&temporary, kept)?;
                std::fs::rename(&temporary, &path)?;
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(err),
        }
        Ok(Self {
            revoked,
            file: Some(path),
        })
    }

    /// Signs in: checks the pair against `keys` in constant time, then issues
    /// a session valid for [`SESSION_LIFETIME`] from `now`.
    pub fn sign_in(
        &self,
        signer: &UrlSigner,
        keys: &Credentials,
        access_key_id: &str,
        access_key_secret: &str,
        now: SystemTime,
    ) -> Result<Session, SessionError> {
        let secret = keys
            .secret_for(access_key_id)
            .ok_or(SessionError::WrongKey)?;
        if !constant_time_eq(&secret, access_key_secret) {
            return Err(SessionError::WrongKey);
        }
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).map_err(|_| SessionError::Invalid)?;
        let expires = unix_seconds(now) + SESSION_LIFETIME.as_secs();
        let id = URL_SAFE_NO_PAD.encode(access_key_id);
        let nonce = hex::encode(nonce);
        let signature = signer.sign(&session_resource(&id, &nonce, &secret), expires);
        let token = format!("v1.{id}.{expires}.{nonce}.{signature}");
        Ok(Session {
            csrf_token: csrf_token(signer, &token, expires),
            token,
            access_key_id: access_key_id.to_string(),
            expires,
        })
    }

    /// The session a token stands for, if it is ours, unexpired, not signed
    /// out, and its key pair is still the one in `keys`.
    pub fn check(
        &self,
        signer: &UrlSigner,
        keys: &Credentials,
        token: &str,
        now: SystemTime,
    ) -> Result<Session, SessionError> {
        let parts: Vec<&str> = token.split('.').collect();
        let [version, id, expires, nonce, signature] = parts[..] else {
            return Err(SessionError::Invalid);
        };
        if version != "v1" {
            return Err(SessionError::Invalid);
        }
        let expires: u64 = expires.parse().map_err(|_| SessionError::Invalid)?;
        let access_key_id = URL_SAFE_NO_PAD
            .decode(id)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or(SessionError::Invalid)?;
        let secret = keys
            .secret_for(&access_key_id)
            .ok_or(SessionError::Invalid)?;
        match signer.verify(
            &session_resource(id, nonce, &secret),
            expires,
            signature,
            now,
        ) {
            Ok(()) => {}
            Err(crate::control::auth::AuthError::Expired(_)) => return Err(SessionError::Expired),
            Err(_) => return Err(SessionError::Invalid),
        }
        if self.revoked.contains_key(nonce) {
            return Err(SessionError::Revoked);
        }
        Ok(Session {
            csrf_token: csrf_token(signer, token, expires),
            token: token.to_string(),
            access_key_id,
            expires,
        })
    }

    /// Whether `sent` is the CSRF token of `session` (constant time).
    pub fn csrf_matches(session: &Session, sent: &str) -> bool {
        constant_time_eq(&session.csrf_token, sent)
    }

    /// Signs a session out: its token authorizes nothing from now on, on
    /// this node, across restarts. An error means the sign-out holds only
    /// until this process stops.
    pub fn sign_out(&self, session: &Session, now: SystemTime) -> std::io::Result<()> {
        let Some(nonce) = session.token.split('.').nth(3) else {
            return Ok(());
        };
        let now = unix_seconds(now);
        if self.revoked.len() >= MAX_REVOKED {
            self.revoked.retain(|_, expires| *expires >= now);
        }
        if self.revoked.len() >= MAX_REVOKED
            && let Some(oldest) = self
                .revoked
                .iter()
                .min_by_key(|entry| *entry.value())
                .map(|entry| entry.key().clone())
        {
            self.revoked.remove(&oldest);
        }
        self.revoked.insert(nonce.to_string(), session.expires);
        match &self.file {
            Some(path) => {
                use std::io::Write as _;
                let mut file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?;
                writeln!(file, "{nonce} {}", session.expires)
            }
            None => Ok(()),
        }
    }
}

/// What a session's signature covers: a label no URL resource starts with,
/// the key id, the nonce, and a digest of the key's secret.
fn session_resource(id: &str, nonce: &str, secret: &str) -> String {
    let secret_digest = hex::encode(Sha256::digest(secret.as_bytes()));
    format!("console-session\n{id}\n{nonce}\n{secret_digest}")
}

/// The CSRF token bound to a session token.
fn csrf_token(signer: &UrlSigner, token: &str, expires: u64) -> String {
    signer.sign(&format!("console-csrf\n{token}"), expires)
}

fn unix_seconds(now: SystemTime) -> u64 {
    now.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Credentials {
        Credentials {
            access_key_id: "AK".into(),
            access_key_secret: "secret".into(),
        }
    }

    #[test]
    fn a_session_holds_until_it_expires_or_is_signed_out() {
        let (signer, sessions, now) = (
            UrlSigner::with_key([7; 32]),
            ConsoleSessions::default(),
            SystemTime::now(),
        );
        assert_eq!(
            sessions.sign_in(&signer, &keys(), "AK", "wrong", now),
            Err(SessionError::WrongKey)
        );
        assert_eq!(
            sessions.sign_in(&signer, &keys(), "other", "secret", now),
            Err(SessionError::WrongKey)
        );
        let session = sessions
            .sign_in(&signer, &keys(), "AK", "secret", now)
            .unwrap();
        let checked = sessions
            .check(&signer, &keys(), &session.token, now)
            .unwrap();
        assert_eq!(checked, session);
        assert!(ConsoleSessions::csrf_matches(&checked, &session.csrf_token));
        assert!(!ConsoleSessions::csrf_matches(&checked, "x"));
        let later = now + SESSION_LIFETIME + Duration::from_secs(2);
        assert_eq!(
            sessions.check(&signer, &keys(), &session.token, later),
            Err(SessionError::Expired)
        );
        // Another platform key, a rotated secret, or a changed field: invalid.
        let other = UrlSigner::with_key([8; 32]);
        assert_eq!(
            sessions.check(&other, &keys(), &session.token, now),
            Err(SessionError::Invalid)
        );
        let rotated = Credentials {
            access_key_secret: "new".into(),
            ..keys()
        };
        assert_eq!(
            sessions.check(&signer, &rotated, &session.token, now),
            Err(SessionError::Invalid)
        );
        let stretched = session.token.replacen(
            &format!(".{}.", session.expires),
            &format!(".{}.", session.expires + 3600),
            1,
        );
        assert_eq!(
            sessions.check(&signer, &keys(), &stretched, now),
            Err(SessionError::Invalid)
        );
        sessions.sign_out(&checked, now).unwrap();
        assert_eq!(
            sessions.check(&signer, &keys(), &session.token, now),
            Err(SessionError::Revoked)
        );
    }

    #[test]
    fn a_sign_out_outlives_a_restart_until_the_session_would_have_expired() {
        let (signer, dir, now) = (
            UrlSigner::with_key([7; 32]),
            tempfile::tempdir().unwrap(),
            SystemTime::now(),
        );
        let sessions = ConsoleSessions::load(dir.path(), now).unwrap();
        let (out, kept) = (
            sessions
                .sign_in(&signer, &keys(), "AK", "secret", now)
                .unwrap(),
            sessions
                .sign_in(&signer, &keys(), "AK", "secret", now)
                .unwrap(),
        );
        sessions.sign_out(&out, now).unwrap();
        let restarted = ConsoleSessions::load(dir.path(), now).unwrap();
        assert_eq!(
            restarted.check(&signer, &keys(), &out.token, now),
            Err(SessionError::Revoked)
        );
        assert!(restarted.check(&signer, &keys(), &kept.token, now).is_ok());
        // Past its expiry the line is compacted away.
        let later = now + SESSION_LIFETIME + Duration::from_secs(5);
        ConsoleSessions::load(dir.path(), later).unwrap();
        let text = std::fs::read_to_string(dir.path().join(SIGNOUTS_FILE)).unwrap();
        assert_eq!(text, "");
    }
}
