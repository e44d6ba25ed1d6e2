//! The CGI/WAGI convention for HTTP on the command ABI: the request becomes
//! CGI meta-variables plus stdin; stdout is `headers CRLF CRLF body`.

use std::net::IpAddr;

/// CGI meta-variables for a request (RFC 3875 §4.1), `HTTP_*` included.
pub(crate) fn request_env(
    parts: &http::request::Parts,
    body_len: usize,
    client_ip: Option<IpAddr>,
) -> Vec<(String, String)> {
    let mut env = vec![
        ("GATEWAY_INTERFACE".to_string(), "CGI/1.1".to_string()),
        ("REQUEST_METHOD".to_string(), parts.method.to_string()),
        ("PATH_INFO".to_string(), parts.uri.path().to_string()),
        (
            "QUERY_STRING".to_string(),
            parts.uri.query().unwrap_or_default().to_string(),
        ),
        (
            "REQUEST_URI".to_string(),
            parts
                .uri
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default(),
        ),
        (
            "SERVER_PROTOCOL".to_string(),
            format!("{:?}", parts.version),
        ),
        ("CONTENT_LENGTH".to_string(), body_len.to_string()),
        (
            "REMOTE_ADDR".to_string(),
            client_ip.map(|ip| ip.to_string()).unwrap_or_default(),
        ),
    ];
    if let Some(content_type) = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        env.push(("CONTENT_TYPE".to_string(), content_type.to_string()));
    }
    for (name, value) in &parts.headers {
        if let Ok(value) = value.to_str() {
            let key = format!(
                "HTTP_{}",
                name.as_str().to_ascii_uppercase().replace('-', "_")
            );
            env.push((key, value.to_string()));
        }
    }
    env
}

/// A parsed CGI response.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct CgiResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body_offset: usize,
}

/// Parses the header block of a CGI response. `Status: 404 Not Found` sets the
/// status; a `Location` without `Status` means 302; otherwise 200.
pub(crate) fn parse_response(stdout: &[u8]) -> Result<CgiResponse, String> {
    let (head_len, sep_len) =
        find_header_end(stdout).ok_or("the CGI response has no blank line after its headers")?;
    let head = std::str::from_utf8(&stdout[..head_len]).map_err(|_| "CGI headers are not UTF-8")?;
    let mut status = None;
    let mut headers = Vec::new();
    for line in head.lines().filter(|l| !l.trim().is_empty()) {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("malformed CGI header line {line:?}"))?;
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("status") {
            let code = value
                .split_whitespace()
                .next()
                .and_then(|c| c.parse::<u16>().ok());
            status = Some(
                code.filter(|c| (100..=999).contains(c))
                    .ok_or_else(|| format!("bad CGI Status {value:?}"))?,
            );
        } else {
            headers.push((name.to_string(), value.to_string()));
        }
    }
    let has_location = headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("location"));
    let status = status.unwrap_or(if has_location { 302 } else { 200 });
    Ok(CgiResponse {
        status,
        headers,
        body_offset: head_len + sep_len,
    })
}

fn find_header_end(bytes: &[u8]) -> Option<(usize, usize)> {
    let crlf = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4));
    let lf = bytes.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2));
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_headers_and_body() {
        let out = b"Content-Type: text/plain\r\nStatus: 404 Not Found\r\n\r\nnope";
        let parsed = parse_response(out).unwrap();
        assert_eq!(parsed.status, 404);
        assert_eq!(
            parsed.headers,
            vec![("Content-Type".to_string(), "text/plain".to_string())]
        );
        assert_eq!(&out[parsed.body_offset..], b"nope");
    }

    #[test]
    fn location_means_redirect_and_garbage_is_an_error() {
        assert_eq!(parse_response(b"Location: /x\n\n").unwrap().status, 302);
        assert!(parse_response(b"no blank line").is_err());
        assert!(parse_response(b"Status: abc\n\n").is_err());
    }
}
