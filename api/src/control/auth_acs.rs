//! Alibaba Cloud's OpenAPI signatures, as the Tea SDKs send them
//! (`alibabacloud_fc_open20210406`, `alibabacloud_fc20230330`; fc-api.md §2.8):
//!
//! - `ACS3-HMAC-SHA256 Credential=<AK>,SignedHeaders=<a;b>,Signature=<hex>`: a
//!   canonical request over the method, the path, the sorted query, the headers
//!   the client lists in `SignedHeaders` and the `x-acs-content-sha256` body
//!   hash; dated by `x-acs-date` (ISO 8601);
//! - `acs <AK>:<base64 HMAC-SHA1>`, the older ROA form the SDKs send with
//!   `signature_algorithm='v2'`: method, `Accept`, `Content-MD5`,
//!   `Content-Type`, `Date`, the `x-acs-*` headers and the path with the sorted,
//!   decoded query.
//!
//! Both must carry `x-acs-signature-nonce`, and a nonce is accepted once per
//! key inside the 15-minute clock-skew window ([`super::nonces`]). The body of
//! an ACS3 request is bound to its hash by the HTTP layer
//! (`crate::http::content_md5::check_sha256`).

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::{Digest as _, Sha256};

use super::auth::{AuthError, MAX_CLOCK_SKEW, SignedRequest};
use super::nonces::{NonceCache, NonceRefusal};

/// The ACS3 algorithm name, the prefix of its `Authorization` header.
pub const ACS3: &str = "ACS3-HMAC-SHA256";

/// Headers an ACS3 signature must cover: without them a signed request could
/// be re-dated, replayed with a new nonce, or sent with another body.
const MUST_SIGN: [&str; 3] = [
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-content-sha256",
];

/// Verifies `ACS3-HMAC-SHA256 ...` (the text after the algorithm name in
/// `credential`). Returns the access key id.
pub fn verify_acs3(
    req: &SignedRequest<'_>,
    credential: &str,
    lookup: &impl Fn(&str) -> Option<String>,
    now: SystemTime,
    nonces: &NonceCache,
) -> Result<String, AuthError> {
    let parts = Acs3Header::parse(credential)?;
    let secret =
        lookup(&parts.key_id).ok_or_else(|| AuthError::UnknownKey(parts.key_id.clone()))?;
    for name in MUST_SIGN {
        if !parts.signed_headers.iter().any(|h| h == name) {
            return Err(AuthError::Malformed(format!(
                "SignedHeaders must include {name}"
            )));
        }
    }
    let payload_hash = req
        .header_values("x-acs-content-sha256")
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    let matched = canonical_paths(req.path).iter().any(|path| {
        canonical_queries(req.query).iter().any(|query| {
            let Some(headers) = canonical_headers(req, &parts.signed_headers) else {
                return false;
            };
            let canonical = format!(
                "{}\n{path}\n{query}\n{headers}\n{}\n{payload_hash}",
                req.method.to_ascii_uppercase(),
                parts.signed_headers.join(";"),
            );
            let to_sign = format!("{ACS3}\n{}", hex::encode(Sha256::digest(canonical)));
            hmac_sha256_hex(&secret, &to_sign).eq_ignore_ascii_case(&parts.signature)
        })
    });
    if !matched {
        return Err(AuthError::SignatureMismatch);
    }
    let date = req
        .header_values("x-acs-date")
        .next()
        .ok_or(AuthError::MissingDate)?;
    let sent = chrono::DateTime::parse_from_rfc3339(date.trim()).map_err(|_| {
        AuthError::Malformed(format!("x-acs-date {date:?} is not an ISO 8601 time"))
    })?;
    let sent = SystemTime::UNIX_EPOCH
        + Duration::from_secs(u64::try_from(sent.timestamp()).unwrap_or_default());
    check_fresh(req, &parts.key_id, date, sent, now, nonces)?;
    Ok(parts.key_id)
}

/// Verifies the ROA `acs <AK>:<signature>` form (`credential` is the text after
/// `acs `). Returns the access key id.
pub fn verify_roa(
    req: &SignedRequest<'_>,
    credential: &str,
    lookup: &impl Fn(&str) -> Option<String>,
    now: SystemTime,
    nonces: &NonceCache,
) -> Result<String, AuthError> {
    let (key_id, signature) = credential.trim().rsplit_once(':').ok_or_else(|| {
        AuthError::Malformed("Authorization must be 'acs <AccessKeyId>:<Signature>'".into())
    })?;
    let secret = lookup(key_id).ok_or_else(|| AuthError::UnknownKey(key_id.to_string()))?;
    let date = req
        .header_values("date")
        .next()
        .ok_or(AuthError::MissingDate)?;
    let first = |name: &str| req.header_values(name).next().unwrap_or_default();
    let head = format!(
        "{}\n{}\n{}\n{}\n{date}\n",
        req.method.to_ascii_uppercase(),
        first("accept"),
        first("content-md5"),
        first("content-type"),
    );
    let mut acs: Vec<(String, &str)> = req
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str()))
        .filter(|(k, _)| k.starts_with("x-acs-"))
        .collect();
    acs.sort_by(|a, b| a.0.cmp(&b.0));
    let acs_headers: String = acs.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let matched = canonical_paths(req.path).iter().any(|path| {
        roa_resources(path, req.query).iter().any(|resource| {
            let to_sign = format!("{head}{acs_headers}{resource}");
            super::auth::constant_time_eq(&hmac_sha1_base64(&secret, &to_sign), signature)
        })
    });
    if !matched {
        return Err(AuthError::SignatureMismatch);
    }
    let sent = httpdate::parse_http_date(date).map_err(|_| {
        AuthError::Malformed(format!("the Date header {date:?} is not an HTTP date"))
    })?;
    check_fresh(req, key_id, date, sent, now, nonces)?;
    Ok(key_id.to_string())
}

/// The date is inside the skew window and the nonce is new.
fn check_fresh(
    req: &SignedRequest<'_>,
    key_id: &str,
    date: &str,
    sent: SystemTime,
    now: SystemTime,
    nonces: &NonceCache,
) -> Result<(), AuthError> {
    let skew = now.duration_since(sent).unwrap_or_else(|e| e.duration());
    if skew > MAX_CLOCK_SKEW {
        return Err(AuthError::Skewed(date.to_string()));
    }
    let nonce = req
        .header_values("x-acs-signature-nonce")
        .next()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            AuthError::Malformed("x-acs-signature-nonce is required with this signature".into())
        })?;
    match nonces.remember(key_id, nonce, sent + MAX_CLOCK_SKEW, now) {
        Ok(()) => Ok(()),
        Err(NonceRefusal::Replayed) => Err(AuthError::NonceReused(nonce.to_string())),
        Err(NonceRefusal::Full) => Err(AuthError::NonceReused(nonce.to_string())),
    }
}

/// `Credential=..., SignedHeaders=..., Signature=...`, in any order.
struct Acs3Header {
    key_id: String,
    signed_headers: Vec<String>,
    signature: String,
}

impl Acs3Header {
    fn parse(text: &str) -> Result<Self, AuthError> {
        let (mut key_id, mut signed, mut signature) = (None, None, None);
        for part in text.split(',') {
            let (name, value) = part.trim().split_once('=').ok_or_else(|| {
                AuthError::Malformed(format!("{ACS3} parameter {part:?} is not name=value"))
            })?;
            match name.trim() {
                "Credential" => key_id = Some(value.trim().to_string()),
                "SignedHeaders" => {
                    signed = Some(
                        value
                            .split(';')
                            .map(|h| h.trim().to_ascii_lowercase())
                            .filter(|h| !h.is_empty())
                            .collect::<Vec<_>>(),
                    )
                }
                "Signature" => signature = Some(value.trim().to_string()),
                _ => {}
            }
        }
        let missing = |what: &str| {
            AuthError::Malformed(format!(
                "{ACS3} Authorization needs Credential, SignedHeaders and Signature ({what} is missing)"
            ))
        };
        Ok(Self {
            key_id: key_id.ok_or_else(|| missing("Credential"))?,
            signed_headers: signed.ok_or_else(|| missing("SignedHeaders"))?,
            signature: signature.ok_or_else(|| missing("Signature"))?,
        })
    }
}

/// `name:v1,v2\n` for each signed header, values trimmed and sorted, as the
/// SDK joins repeated headers. `None` when a signed header is absent.
fn canonical_headers(req: &SignedRequest<'_>, signed: &[String]) -> Option<String> {
    let mut out = String::new();
    for name in signed {
        let mut values: Vec<&str> = req.header_values(name).map(str::trim).collect();
        if values.is_empty() {
            return None;
        }
        values.sort_unstable();
        out.push_str(name);
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    Some(out)
}

/// The path as sent, then (if different) re-encoded from its decoded form the
/// way the SDKs encode (`/` and `~` kept).
fn canonical_paths(path: &str) -> Vec<String> {
    let path = if path.is_empty() { "/" } else { path };
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let mut paths = vec![path.to_string(), encode(&decoded, true)];
    paths.dedup();
    paths
}

/// The query's pairs, decoded: first with `+` kept as a plus (RFC 3986), then
/// with `+` as a space (HTML forms), since clients differ.
fn decoded_pairs(query: Option<&str>, plus_is_space: bool) -> Vec<(String, String)> {
    if plus_is_space {
        super::auth::query_pairs(query)
    } else {
        super::auth::split_query(query, super::auth::path_decode)
    }
}

/// ACS3's canonical query candidates: pairs sorted by name, `name=encoded value`
/// joined by `&`.
fn canonical_queries(query: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = [false, true]
        .into_iter()
        .map(|plus_is_space| {
            let mut pairs = decoded_pairs(query, plus_is_space);
            pairs.sort();
            pairs
                .iter()
                .map(|(k, v)| format!("{k}={}", encode(v, false)))
                .collect::<Vec<_>>()
                .join("&")
        })
        .collect();
    out.dedup();
    out
}

/// The ROA canonical resource candidates: `path?k=v&k2` with decoded, sorted pairs.
fn roa_resources(path: &str, query: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = [false, true]
        .into_iter()
        .map(|plus_is_space| {
            let mut pairs = decoded_pairs(query, plus_is_space);
            if pairs.is_empty() {
                return path.to_string();
            }
            pairs.sort();
            let items: Vec<String> = pairs
                .iter()
                .map(|(k, v)| {
                    if v.is_empty() {
                        k.clone()
                    } else {
                        format!("{k}={v}")
                    }
                })
                .collect();
            format!("{path}?{}", items.join("&"))
        })
        .collect();
    out.dedup();
    out
}

/// Percent-encodes all but RFC 3986's unreserved characters (and `/` in paths),
/// as Python's `quote(s, safe='~')` / `quote(s, safe='/~')` do.
fn encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        let unreserved = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~');
        if unreserved || (keep_slash && byte == b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn hmac_sha256_hex(secret: &str, text: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(text.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn hmac_sha1_base64(secret: &str, text: &str) -> String {
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(text.as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::auth::verify_api;

    /// Made by the Tea SDK's own signer (api/tests/python/acs3_vectors.py).
    const VECTORS: &str = include_str!("../../tests/fixtures/acs3_vectors.json");

    struct Vector {
        name: String,
        method: String,
        path: String,
        query: String,
        headers: Vec<(String, String)>,
        body: String,
        key_id: String,
        secret: String,
        now: SystemTime,
    }

    fn vectors() -> Vec<Vector> {
        let all: serde_json::Value = serde_json::from_str(VECTORS).unwrap();
        all.as_array()
            .unwrap()
            .iter()
            .map(|v| {
                let text = |k: &str| v[k].as_str().unwrap().to_string();
                let now = chrono::DateTime::parse_from_rfc3339(&text("now")).unwrap();
                Vector {
                    name: text("name"),
                    method: text("method"),
                    path: text("path"),
                    query: text("query"),
                    headers: v["headers"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|h| {
                            (
                                h[0].as_str().unwrap().to_string(),
                                h[1].as_str().unwrap().to_string(),
                            )
                        })
                        .collect(),
                    body: text("body"),
                    key_id: text("keyId"),
                    secret: text("secret"),
                    now: SystemTime::UNIX_EPOCH + Duration::from_secs(now.timestamp() as u64),
                }
            })
            .collect()
    }

    fn check(v: &Vector, query: &str, nonces: &NonceCache) -> Result<String, AuthError> {
        let req = SignedRequest {
            method: &v.method,
            path: &v.path,
            query: (!query.is_empty()).then_some(query),
            headers: v.headers.clone(),
        };
        let lookup = |id: &str| (id == v.key_id).then(|| v.secret.clone());
        verify_api(&req, lookup, v.now, nonces)
    }

    #[test]
    fn every_vector_of_the_sdks_signer_verifies_once_and_a_changed_one_does_not() {
        let vectors = vectors();
        assert!(vectors.len() >= 8, "{} vectors", vectors.len());
        for v in &vectors {
            let nonces = NonceCache::default();
            assert_eq!(
                check(v, &v.query, &nonces),
                Ok(v.key_id.clone()),
                "{}",
                v.name
            );
            assert!(
                matches!(check(v, &v.query, &nonces), Err(AuthError::NonceReused(_))),
                "{}: a replay is refused",
                v.name
            );
            let tampered = format!(
                "{}{}zz=1",
                v.query,
                if v.query.is_empty() { "" } else { "&" }
            );
            assert_eq!(
                check(v, &tampered, &NonceCache::default()),
                Err(AuthError::SignatureMismatch),
                "{}: another query",
                v.name
            );
            let late = Vector {
                now: v.now + Duration::from_secs(16 * 60),
                ..clone_of(v)
            };
            assert!(
                matches!(
                    check(&late, &v.query, &NonceCache::default()),
                    Err(AuthError::Skewed(_))
                ),
                "{}: 16 minutes later",
                v.name
            );
            if let Some((_, hash)) = v.headers.iter().find(|(k, _)| k == "x-acs-content-sha256") {
                assert_eq!(
                    hex::encode(Sha256::digest(v.body.as_bytes())),
                    *hash,
                    "{}",
                    v.name
                );
            }
        }
    }

    fn clone_of(v: &Vector) -> Vector {
        Vector {
            name: v.name.clone(),
            method: v.method.clone(),
            path: v.path.clone(),
            query: v.query.clone(),
            headers: v.headers.clone(),
            body: v.body.clone(),
            key_id: v.key_id.clone(),
            secret: v.secret.clone(),
            now: v.now,
        }
    }

    #[test]
    fn encoding_matches_python_quote() {
        assert_eq!(encode("a b/c~d+e=f&g", false), "a%20b%2Fc~d%2Be%3Df%26g");
        assert_eq!(encode("/svc$fn/x", true), "/svc%24fn/x");
        assert_eq!(encode("é", false), "%C3%A9");
    }

    #[test]
    fn the_header_parses_in_any_order_and_needs_all_three_parts() {
        let h = Acs3Header::parse("SignedHeaders=host;x-acs-date,Signature=ab, Credential=AK")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(h.key_id, "AK");
        assert_eq!(h.signed_headers, ["host", "x-acs-date"]);
        assert!(Acs3Header::parse("Credential=AK,Signature=ab").is_err());
    }
}
