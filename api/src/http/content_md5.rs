//! Binds a signed request's body to its signature: FC's StringToSign covers the
//! `Content-MD5` header, so when a client sends one, the body must match it, or
//! a captured request could be replayed within the clock skew with another body.
//!
//! The SDKs send the digest in three encodings (fc-api.md §2.7), all accepted:
//! Java base64 of the 16-byte digest, Go 32 hex digits, Node base64 of those 32
//! hex characters. Python sends none, and a request without the header is not
//! checked (nothing to bind).

use axum::body::Body;
use axum::extract::Request;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use md5::{Digest as _, Md5};

use crate::control::error::ApiError;

/// Whether `header` is the MD5 of `body` in one of the SDKs' encodings.
pub fn matches(header: &str, body: &[u8]) -> bool {
    let digest = Md5::digest(body);
    let hex = hex::encode(digest);
    let sent = header.trim();
    sent.eq_ignore_ascii_case(&hex)
        || BASE64.decode(sent).is_ok_and(|decoded| {
            decoded.as_slice() == digest.as_slice() || decoded.eq_ignore_ascii_case(hex.as_bytes())
        })
}

/// Checks the body of an authenticated request against its `Content-MD5`, if
/// it has one, reading at most `limit` bytes (more is FC's `EntityTooLarge`).
/// Returns the request with its body restored.
pub async fn check(request: Request, limit: usize) -> Result<Request, ApiError> {
    let Some(sent) = request.headers().get("content-md5") else {
        return Ok(request);
    };
    let sent = sent
        .to_str()
        .map_err(|_| ApiError::InvalidArgument("the Content-MD5 header is not text".into()))?
        .to_string();
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::EntityTooLarge(limit))?;
    if !matches(&sent, &bytes) {
        return Err(ApiError::InvalidArgument(format!(
            "the Content-MD5 header {sent:?} does not match the request body"
        )));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// Checks the body of a request signed with ACS3 against its
/// `x-acs-content-sha256` (hex SHA-256), which the signature covers: a
/// mismatch is a signature failure (403 `SignatureNotMatch`). Requests without
/// the header pass unchanged.
pub async fn check_sha256(request: Request, limit: usize) -> Result<Request, ApiError> {
    use sha2::{Digest as _, Sha256};
    let Some(sent) = request.headers().get("x-acs-content-sha256") else {
        return Ok(request);
    };
    let sent = sent
        .to_str()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::EntityTooLarge(limit))?;
    if hex::encode(Sha256::digest(&bytes)) != sent {
        return Err(ApiError::Auth(
            crate::control::auth::AuthError::SignatureMismatch,
        ));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = b"{\"serviceName\":\"demo\"}";

    #[test]
    fn accepts_every_sdk_encoding() {
        let digest = Md5::digest(BODY);
        let hex = hex::encode(digest);
        assert!(matches(&BASE64.encode(digest), BODY), "java");
        assert!(matches(&hex, BODY), "go");
        assert!(matches(&hex.to_uppercase(), BODY), "hex in upper case");
        assert!(matches(&BASE64.encode(hex.as_bytes()), BODY), "node");
    }

    #[test]
    fn refuses_another_body_and_garbage() {
        let digest = Md5::digest(BODY);
        let other = b"{\"serviceName\":\"evil\"}";
        assert!(!matches(&BASE64.encode(digest), other));
        assert!(!matches(&hex::encode(digest), other));
        assert!(!matches(&BASE64.encode(hex::encode(digest)), other));
        assert!(!matches("", BODY));
        assert!(!matches("not a digest", BODY));
    }

    #[tokio::test]
    async fn check_restores_the_body_and_refuses_a_mismatch() {
        let good = hex::encode(Md5::digest(BODY));
        let request = Request::builder()
            .header("content-md5", &good)
            .body(Body::from(BODY))
            .unwrap();
        let request = check(request, 1 << 20).await.unwrap();
        let body = axum::body::to_bytes(request.into_body(), 1 << 20)
            .await
            .unwrap();
        assert_eq!(&body[..], BODY);
        let bad = Request::builder()
            .header("content-md5", &good)
            .body(Body::from("tampered"))
            .unwrap();
        assert!(matches!(
            check(bad, 1 << 20).await,
            Err(ApiError::InvalidArgument(_))
        ));
        let big = Request::builder()
            .header("content-md5", &good)
            .body(Body::from(vec![0u8; 100]))
            .unwrap();
        assert!(matches!(
            check(big, 10).await,
            Err(ApiError::EntityTooLarge(10))
        ));
    }
}
