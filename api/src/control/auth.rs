//! FC's request signature (fc-api.md §2): `Authorization: FC <id>:<base64(HMAC-SHA256)>`,
//! with two canonical-resource modes (API paths sign the path only; `/proxy/`
//! paths sign the decoded path plus the sorted decoded query) and signed URLs.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Requests signed more than this far from the server's clock are refused (FC: 15 minutes).
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// Why a request was not authenticated. Each maps to FC's 403 code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("required HTTP header Authorization was not specified")]
    Missing,
    /// A signed request without `Date` (or `X-Fc-Date`): FC's `MissingRequiredHeader`.
    #[error("required HTTP header Date was not specified")]
    MissingDate,
    #[error("invalid access key ID '{0}'")]
    UnknownKey(String),
    #[error(
        "The request signature we calculated does not match the signature you provided. Check your access key and signing method"
    )]
    SignatureMismatch,
    #[error("the request time {0} is more than 15 minutes away from the server time")]
    Skewed(String),
    #[error("the signed URL expired at {0}")]
    Expired(String),
    #[error("malformed authentication: {0}")]
    Malformed(String),
    /// An `x-acs-signature-nonce` this key already used inside the skew window.
    #[error("the signature nonce {0:?} was already used; every request needs a new one")]
    NonceReused(String),
}

impl AuthError {
    /// FC's `ErrorCode` for this failure.
    pub fn code(&self) -> &'static str {
        match self {
            // No credentials at all: access to the resource is denied.
            Self::Missing => "AccessDenied",
            Self::MissingDate => "MissingRequiredHeader",
            Self::UnknownKey(_) => "InvalidAccessKeyID",
            Self::SignatureMismatch => "SignatureNotMatch",
            Self::Skewed(_) | Self::Expired(_) => "AccessDenied",
            Self::Malformed(_) => "InvalidArgument",
            Self::NonceReused(_) => "SignatureNonceUsed",
        }
    }
}

/// The parts of a request the signature covers.
#[derive(Debug, Clone)]
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The path as sent (percent-encoded).
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: Option<&'a str>,
    /// Every header, names in any case.
    pub headers: Vec<(String, String)>,
}

impl<'a> SignedRequest<'a> {
    /// The signed parts of an HTTP request (headers that are not text are skipped).
    pub fn from_http<B>(request: &'a http::Request<B>) -> Self {
        Self {
            method: request.method().as_str(),
            path: request.uri().path(),
            query: request.uri().query(),
            headers: request
                .headers()
                .iter()
                .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
                .collect(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.header_values(name).next()
    }

    /// Every value of header `name` (any case), in the order sent.
    pub fn header_values<'s>(&'s self, name: &str) -> impl Iterator<Item = &'s str> {
        self.headers
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// An HTTP-trigger path: `/{api version}/proxy/...`. Only that prefix counts:
    /// `/2016-08-15/services/proxy/functions` manages a service named `proxy`.
    fn is_proxy(&self) -> bool {
        is_proxy_path(self.path)
    }
}

/// Whether `path` is `/{yyyy-mm-dd}/proxy/...`, an HTTP-trigger request.
pub fn is_proxy_path(path: &str) -> bool {
    let Some((version, rest)) = path.strip_prefix('/').and_then(|p| p.split_once('/')) else {
        return false;
    };
    let date_shaped = version.len() == 10
        && version.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    date_shaped && rest.starts_with("proxy/")
}

/// The `authorization` value of `req` signed as FC's SDKs sign it
/// (`FC <key id>:<signature>`); `req` carries the `date` header it is signed with.
pub fn fc_authorization(key_id: &str, secret: &str, req: &SignedRequest<'_>) -> String {
    let date = req.header("date").unwrap_or_default();
    let signature = sign(secret, &string_to_sign(req, date, &canonical_resource(req)));
    format!("FC {key_id}:{signature}")
}

/// `Base64(HMAC-SHA256(secret, string_to_sign))`.
pub fn sign(secret: &str, string_to_sign: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(string_to_sign.as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}

/// `x-fc-*` headers, lower-cased, sorted, one `name:value\n` each (§2.3).
fn canonical_headers(req: &SignedRequest<'_>) -> String {
    let mut fc: Vec<(String, &str)> = Vec::new();
    for (name, value) in &req.headers {
        let lower = name.to_ascii_lowercase();
        if lower.starts_with("x-fc-") && !fc.iter().any(|(n, _)| *n == lower) {
            fc.push((lower, value));
        }
    }
    fc.sort_by(|a, b| a.0.cmp(&b.0));
    fc.iter().map(|(n, v)| format!("{n}:{v}\n")).collect()
}

/// Form-style decoding: `+` is a space, then percent-decoding.
fn form_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(&text.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// Percent-decoding only (`+` stays a plus, RFC 3986).
pub(crate) fn path_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// The decoded query as `k=v` / `k` items, optionally without `x-fc-signature`.
fn query_items(query: Option<&str>) -> Vec<String> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (k, v) = match pair.split_once('=') {
                Some((k, v)) => (form_decode(k), Some(form_decode(v))),
                None => (form_decode(pair), None),
            };
            if k == "x-fc-signature" {
                return None;
            }
            Some(match v {
                Some(v) => format!("{k}={v}"),
                None => k,
            })
        })
        .collect()
}

/// The canonical resource (§2.4). Proxy paths: decoded path, newline, sorted query items.
pub fn canonical_resource(req: &SignedRequest<'_>) -> String {
    if req.is_proxy() {
        let mut items = query_items(req.query);
        items.sort();
        format!("{}\n{}", path_decode(req.path), items.join("\n"))
    } else {
        req.path.to_string()
    }
}

/// The StringToSign (§2.2) with `date` in line 4.
pub fn string_to_sign(req: &SignedRequest<'_>, date: &str, resource: &str) -> String {
    format!(
        "{}\n{}\n{}\n{}\n{}{}",
        req.method.to_ascii_uppercase(),
        req.header("content-md5").unwrap_or_default(),
        req.header("content-type").unwrap_or_default(),
        date,
        canonical_headers(req),
        resource
    )
}

/// Verifies an API request signed in any scheme an FC client uses: FC's own
/// (`FC `, the 2016-08-15 SDKs), and the Alibaba Cloud OpenAPI SDKs'
/// `ACS3-HMAC-SHA256` and `acs ` forms ([`super::auth_acs`]), whose nonces
/// `nonces` remembers. Returns the access key id.
pub fn verify_api(
    req: &SignedRequest<'_>,
    lookup: impl Fn(&str) -> Option<String>,
    now: SystemTime,
    nonces: &super::nonces::NonceCache,
) -> Result<String, AuthError> {
    let authorization = req.header("authorization").map(str::trim_start);
    if let Some(rest) = authorization.and_then(|a| a.strip_prefix(super::auth_acs::ACS3)) {
        return super::auth_acs::verify_acs3(req, rest.trim_start(), &lookup, now, nonces);
    }
    if let Some(rest) = authorization.and_then(|a| a.strip_prefix("acs ")) {
        return super::auth_acs::verify_roa(req, rest, &lookup, now, nonces);
    }
    verify(req, lookup, now)
}

/// Verifies a request against the keys `lookup` knows. Returns the access key id.
///
/// Accepts the `Authorization` header form, and for `/proxy/` paths the signed-URL
/// form. Tolerances from fc-api.md §2.10: a non-proxy path is tried raw, then
/// decoded; a proxy query is tried sorted, then in the original order (the 2021
/// gateway helper).
pub fn verify(
    req: &SignedRequest<'_>,
    lookup: impl Fn(&str) -> Option<String>,
    now: SystemTime,
) -> Result<String, AuthError> {
    if let Some(authorization) = req.header("authorization") {
        return verify_header(req, authorization, &lookup, now);
    }
    if req.is_proxy() && query_items(req.query).len() != query_pairs(req.query).len() {
        return verify_signed_url(req, &lookup, now);
    }
    Err(AuthError::Missing)
}

/// The query's `name=value` pairs, form-decoded (`+` is a space).
pub fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    split_query(query, form_decode)
}

/// The query's `name=value` pairs, each side decoded with `decode`.
pub(crate) fn split_query(
    query: Option<&str>,
    decode: fn(&str) -> String,
) -> Vec<(String, String)> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn verify_header(
    req: &SignedRequest<'_>,
    authorization: &str,
    lookup: &impl Fn(&str) -> Option<String>,
    now: SystemTime,
) -> Result<String, AuthError> {
    let credential = authorization.strip_prefix("FC ").ok_or_else(|| {
        AuthError::Malformed(
            "Authorization must start with 'FC ', 'ACS3-HMAC-SHA256 ' or 'acs '".into(),
        )
    })?;
    let (key_id, signature) = credential.rsplit_once(':').ok_or_else(|| {
        AuthError::Malformed("Authorization must be 'FC <AccessKeyId>:<Signature>'".into())
    })?;
    let secret = lookup(key_id).ok_or_else(|| AuthError::UnknownKey(key_id.to_string()))?;
    let date = req
        .header("date")
        .or_else(|| req.header("x-fc-date"))
        .ok_or(AuthError::MissingDate)?;
    let candidates = resource_candidates(req);
    if !candidates.iter().any(|resource| {
        constant_time_eq(
            &sign(&secret, &string_to_sign(req, date, resource)),
            signature,
        )
    }) {
        return Err(AuthError::SignatureMismatch);
    }
    let sent = httpdate::parse_http_date(date).map_err(|_| {
        AuthError::Malformed(format!("the Date header {date:?} is not an HTTP date"))
    })?;
    let skew = now
        .duration_since(sent)
        .or_else(|e| Ok::<_, AuthError>(e.duration()))?;
    if skew > MAX_CLOCK_SKEW {
        return Err(AuthError::Skewed(date.to_string()));
    }
    Ok(key_id.to_string())
}

fn verify_signed_url(
    req: &SignedRequest<'_>,
    lookup: &impl Fn(&str) -> Option<String>,
    now: SystemTime,
) -> Result<String, AuthError> {
    let pairs = query_pairs(req.query);
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let signature = get("x-fc-signature").ok_or(AuthError::Missing)?;
    let key_id = get("x-fc-access-key-id")
        .ok_or_else(|| AuthError::Malformed("a signed URL needs x-fc-access-key-id".into()))?;
    let expires = get("x-fc-expires")
        .ok_or_else(|| AuthError::Malformed("a signed URL needs x-fc-expires".into()))?;
    let secret = lookup(&key_id).ok_or_else(|| AuthError::UnknownKey(key_id.clone()))?;
    let candidates = resource_candidates(req);
    if !candidates.iter().any(|resource| {
        constant_time_eq(
            &sign(&secret, &string_to_sign(req, &expires, resource)),
            &signature,
        )
    }) {
        return Err(AuthError::SignatureMismatch);
    }
    let expires_at: u64 = expires.parse().map_err(|_| {
        AuthError::Malformed(format!("x-fc-expires {expires:?} is not a Unix time"))
    })?;
    let now_secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if expires_at < now_secs {
        return Err(AuthError::Expired(expires));
    }
    Ok(key_id)
}

/// The canonical resources to try, most likely first (§2.10 step 4).
fn resource_candidates(req: &SignedRequest<'_>) -> Vec<String> {
    let mut candidates = vec![canonical_resource(req)];
    if req.is_proxy() {
        let unsorted = query_items(req.query).join("\n");
        candidates.push(format!("{}\n{unsorted}", path_decode(req.path)));
    } else {
        candidates.push(path_decode(req.path));
    }
    candidates.dedup();
    candidates
}

pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    //! The worked vectors of fc-api.md §2.9, verbatim.
    use super::*;

    const ID: &str = "LTAI5tExampleKeyId";
    const SECRET: &str = "ExampleSecret0123456789abcdefABCD";
    const DATE: &str = "Mon, 24 Nov 2025 08:00:00 GMT";

    fn req<'a>(
        method: &'a str,
        path: &'a str,
        query: Option<&'a str>,
        headers: &[(&str, &str)],
    ) -> SignedRequest<'a> {
        SignedRequest {
            method,
            path,
            query,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn sts(r: &SignedRequest<'_>, date: &str) -> String {
        string_to_sign(r, date, &canonical_resource(r))
    }

    fn at_date() -> SystemTime {
        httpdate::parse_http_date(DATE).unwrap()
    }

    fn keys(id: &str) -> Option<String> {
        (id == ID).then(|| SECRET.to_string())
    }

    #[test]
    fn w1_list_services_query_not_signed() {
        let r = req(
            "GET",
            "/2016-08-15/services",
            Some("limit=10&prefix=de"),
            &[("date", DATE), ("content-type", "application/json")],
        );
        assert_eq!(
            sts(&r, DATE),
            "GET\n\napplication/json\nMon, 24 Nov 2025 08:00:00 GMT\n/2016-08-15/services"
        );
        assert_eq!(
            sign(SECRET, &sts(&r, DATE)),
            "BrjgwkmvHfy74CmZP4oFu5HDwQifMFvSNGWI6usTHBs="
        );
    }

    #[test]
    fn w2_fc_headers_lowercased_and_sorted() {
        let r = req(
            "POST",
            "/2016-08-15/services/demo/functions/hello/invocations",
            None,
            &[
                ("content-type", "application/json"),
                ("x-fc-invocation-type", "Async"),
                ("X-Fc-Log-Type", "None"),
                ("x-fc-trace-id", "trace-0001"),
                ("x-fc-security-token", "STS.exampleToken"),
            ],
        );
        assert_eq!(
            sign(SECRET, &sts(&r, DATE)),
            "suAUw85bEbH6GwL4Pr5Wj/gjMKsXXdQjFTikf63C4Us="
        );
        let r2 = req(
            "POST",
            "/2016-08-15/services/demo/functions/hello/invocations",
            None,
            &[
                ("content-type", "application/json"),
                ("x-fc-invocation-type", "Async"),
            ],
        );
        assert_eq!(
            sign(SECRET, &sts(&r2, DATE)),
            "KcpKsC6VfBbGLnrcAF6oFVlTRy4Mvm+hqgB84gv++2g="
        );
    }

    #[test]
    fn w3_content_md5_is_signed_verbatim() {
        let r = req(
            "POST",
            "/2016-08-15/services",
            None,
            &[
                ("content-md5", "KWFvougBX+K/B4MZ7vXt1A=="),
                ("content-type", "application/json"),
                ("x-fc-account-id", "123456789012"),
            ],
        );
        assert_eq!(
            sign(SECRET, &sts(&r, DATE)),
            "VQxy9A1C4ZX/tesJReluYcY1r6ghftNH4cwVdMRa1i0="
        );
        let plain = req(
            "POST",
            "/2016-08-15/services",
            None,
            &[("content-type", "application/json")],
        );
        assert_eq!(
            sign(SECRET, &sts(&plain, DATE)),
            "+I0xicSdyEFUNfcDXN+M2QmDwamOv06LOKEREPh2ccU="
        );
        let node = req(
            "POST",
            "/2016-08-15/services",
            None,
            &[
                (
                    "content-md5",
                    "Mjg4MDRjYWU5Yzk0YzY5M2EwM2RhMzAxZTYxYjc2NDY=",
                ),
                ("content-type", "application/json"),
                ("x-fc-account-id", "123456789012"),
            ],
        );
        assert_eq!(
            sign(SECRET, &sts(&node, DATE)),
            "6LTnrLNZyPeRaKxROZFWPENyUi79DsgiaRW+s9wS2kQ="
        );
    }

    #[test]
    fn w4_proxy_decoded_path_sorted_query_plus_is_space() {
        let r = req(
            "GET",
            "/2016-08-15/proxy/demo/web/a%20b/c",
            Some("q=x+y&b=2&b=1"),
            &[("content-type", "application/json"), ("Foo", "Bar")],
        );
        assert_eq!(
            sts(&r, DATE),
            "GET\n\napplication/json\nMon, 24 Nov 2025 08:00:00 GMT\n/2016-08-15/proxy/demo/web/a b/c\nb=1\nb=2\nq=x y"
        );
        assert_eq!(
            sign(SECRET, &sts(&r, DATE)),
            "Aqy2XQ9Vzz3CILgYjFf2/yB7/oqaci5BZnNBUFtEqWo="
        );
        let flag = req(
            "GET",
            "/2016-08-15/proxy/demo/web/a%20b/c",
            Some("q=x+y&b=2&b=1&flag"),
            &[("content-type", "text/plain")],
        );
        assert_eq!(
            sign(SECRET, &sts(&flag, DATE)),
            "Gc7RRSGopGi65IISIeSgR/XFdG4q2oSvwQvjo9gXYEM="
        );
    }

    #[test]
    fn w5_proxy_empty_query_keeps_the_newline() {
        let r = req(
            "POST",
            "/2016-08-15/proxy/demo.prod/web/",
            None,
            &[("content-type", "application/json")],
        );
        assert!(sts(&r, DATE).ends_with("/2016-08-15/proxy/demo.prod/web/\n"));
        assert_eq!(
            sign(SECRET, &sts(&r, DATE)),
            "VFTWvF2VuqswnOL4onriK14iYe/e3VacN/liCY2xcLQ="
        );
    }

    #[test]
    fn w5s_signed_url() {
        let sig = "jmoxD5v5IhaLqy0KV2FQffw0fUlbeleEpMFz4Yn%2F3Mk%3D";
        let query = format!(
            "a=1&x-fc-access-key-id=LTAI5tExampleKeyId&x-fc-expires=1764000000&x-fc-signature={sig}"
        );
        let r = req("GET", "/2016-08-15/proxy/demo/web/hello", Some(&query), &[]);
        assert_eq!(
            sign(SECRET, &sts(&r, "1764000000")),
            "jmoxD5v5IhaLqy0KV2FQffw0fUlbeleEpMFz4Yn/3Mk="
        );
        let before_expiry = UNIX_EPOCH + Duration::from_secs(1_763_999_000);
        assert_eq!(verify(&r, keys, before_expiry), Ok(ID.to_string()));
        let after_expiry = UNIX_EPOCH + Duration::from_secs(1_764_000_001);
        assert!(matches!(
            verify(&r, keys, after_expiry),
            Err(AuthError::Expired(_))
        ));
    }

    #[test]
    fn w6_go_sdk_vector() {
        let r = req(
            "GET",
            "/2016-08-15/proxy/service.LATEST/func/abc%20123",
            Some(
                "x=xyz&x=456&a=123+45&x-fc-expires=1583221068&x-fc-access-key-id=akID&x-fc-security-token=stsToken",
            ),
            &[
                ("x-fc-trace-id", "trace-id"),
                ("content-type", "text/json"),
                ("content-md5", "ef5b43a0fe1d5b401b62c3ba33a7a3d6"),
            ],
        );
        assert_eq!(
            sign(
                "S9MWOBG0AOWHSO9HPASP216QOPHT5YR4NLH3A",
                &sts(&r, "1583221068")
            ),
            "QFdNhz0Dl+onUM/MvpX940WFH3H8OHayZHbby1c01aI="
        );
    }

    #[test]
    fn w7_go_sign_url_vectors() {
        let with_token = req(
            "GET",
            "/2016-08-15/proxy/service/func/",
            Some("x-fc-access-key-id=akid&x-fc-expires=1583339600&x-fc-security-token=stsToken"),
            &[],
        );
        assert_eq!(
            sign("akSec", &sts(&with_token, "1583339600")),
            "Yi0jCBQ6cTZc+tN8wtYUz9FbYNijx5jDiE3sVNW6XwA="
        );
        let without = req(
            "GET",
            "/2016-08-15/proxy/service/func/",
            Some("x-fc-access-key-id=akid&x-fc-expires=1583339600"),
            &[],
        );
        assert_eq!(
            sign("akSec", &sts(&without, "1583339600")),
            "6Rc4KxEAv3+lHpbNQWceIUqWVWq3ewxhadlJBRzZ0XQ="
        );
    }

    #[test]
    fn python_sdk_canonical_resource_unit_test() {
        let r = req(
            "GET",
            "/2016-08-15/proxy/path/action%20with-escaped~chars_here.ext",
            Some("key3&key2=123&foo=bar&key1=xyz&key1=abc"),
            &[],
        );
        assert_eq!(
            canonical_resource(&r),
            "/2016-08-15/proxy/path/action with-escaped~chars_here.ext\nfoo=bar\nkey1=abc\nkey1=xyz\nkey2=123\nkey3"
        );
    }

    #[test]
    fn only_the_api_proxy_prefix_is_an_http_trigger_path() {
        assert!(is_proxy_path("/2016-08-15/proxy/svc/fn/"));
        assert!(is_proxy_path("/2021-04-06/proxy/svc.prod/fn"));
        assert!(!is_proxy_path("/2016-08-15/services/proxy/functions"));
        assert!(!is_proxy_path("/2016-08-15/services/proxy"));
        assert!(!is_proxy_path(
            "/2016-08-15/services/a/functions/proxy/triggers"
        ));
        assert!(!is_proxy_path("/proxy/svc/fn"));
        assert!(!is_proxy_path("/x/proxy/svc/fn"));
        assert!(!is_proxy_path(""));
    }

    #[test]
    fn verify_accepts_good_and_refuses_bad_keys_signatures_and_stale_dates() {
        let headers = |auth: &str| {
            vec![
                ("date", DATE),
                ("content-type", "application/json"),
                ("authorization", auth),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
        };
        let good = format!("FC {ID}:BrjgwkmvHfy74CmZP4oFu5HDwQifMFvSNGWI6usTHBs=");
        let mut r = req("GET", "/2016-08-15/services", Some("limit=10"), &[]);
        r.headers = headers(&good);
        assert_eq!(verify(&r, keys, at_date()), Ok(ID.to_string()));
        r.headers = headers("FC someone:BrjgwkmvHfy74CmZP4oFu5HDwQifMFvSNGWI6usTHBs=");
        assert_eq!(
            verify(&r, keys, at_date()),
            Err(AuthError::UnknownKey("someone".into()))
        );
        r.headers = headers(&format!(
            "FC {ID}:AAAAwkmvHfy74CmZP4oFu5HDwQifMFvSNGWI6usTHBs="
        ));
        assert_eq!(
            verify(&r, keys, at_date()),
            Err(AuthError::SignatureMismatch)
        );
        r.headers = headers(&good);
        let later = at_date() + Duration::from_secs(16 * 60);
        assert!(matches!(verify(&r, keys, later), Err(AuthError::Skewed(_))));
        let earlier = at_date() - Duration::from_secs(16 * 60);
        assert!(matches!(
            verify(&r, keys, earlier),
            Err(AuthError::Skewed(_))
        ));
        assert!(verify(&r, keys, at_date() + Duration::from_secs(14 * 60)).is_ok());
        r.headers.clear();
        assert_eq!(verify(&r, keys, at_date()), Err(AuthError::Missing));
    }
}
