//! Cursors as Log Service shows them: the base64 of an entry's number in its
//! shard (`MTUyOTQ4MDIwOTY1NTk3ODQ2Mw==` is `1529480209655978463`), so FC
//! handlers that pass cursors around as opaque strings keep working.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::control::error::{ApiError, ApiResult};

/// The cursor of entry number `seq`.
pub fn encode(seq: i64) -> String {
    STANDARD.encode(seq.to_string())
}

/// The entry number of a cursor; a 400 naming `field` when it is not one.
pub fn decode(cursor: &str, field: &str) -> ApiResult<i64> {
    STANDARD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .ok_or_else(|| ApiError::InvalidArgument(format!("{field} {cursor:?} is not a cursor")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_match_log_services_form() {
        assert_eq!(encode(1529480209655978463), "MTUyOTQ4MDIwOTY1NTk3ODQ2Mw==");
        assert_eq!(decode(&encode(42), "cursor").unwrap(), 42);
        assert!(decode("not base64!", "cursor").is_err());
        assert!(decode(&STANDARD.encode("-3"), "cursor").is_err());
    }
}
