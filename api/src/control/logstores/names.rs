//! Log Service's naming rules for projects and logstores: a bad name is a 400
//! that names it.

use crate::control::error::{ApiError, ApiResult};

/// A project: 3–63 lower-case letters, digits and `-`, starting and ending
/// with a letter or digit.
pub fn project_ok(name: &str) -> bool {
    within(name, 3, 63)
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A logstore: 2–63 lower-case letters, digits, `-` and `_`, starting and
/// ending with a letter or digit.
pub fn logstore_ok(name: &str) -> bool {
    within(name, 2, 63)
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn within(name: &str, min: usize, max: usize) -> bool {
    let edge = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    (min..=max).contains(&name.len()) && edge(name.bytes().next()) && edge(name.bytes().next_back())
}

/// Checks both names (the error names the one at fault).
pub fn check(project: &str, logstore: &str) -> ApiResult<()> {
    check_field(project, logstore, "")
}

/// [`check`], naming the fields under `field` (e.g. `logConfig`).
pub fn check_field(project: &str, logstore: &str, field: &str) -> ApiResult<()> {
    let at = |key: &str| {
        if field.is_empty() {
            key.to_string()
        } else {
            format!("{field}.{key}")
        }
    };
    if !project_ok(project) {
        return Err(ApiError::InvalidArgument(format!(
            "{} {project:?} is not a valid project name: 3-63 lower-case letters, digits and '-', starting and ending with a letter or digit",
            at("project")
        )));
    }
    if !logstore_ok(logstore) {
        return Err(ApiError::InvalidArgument(format!(
            "{} {logstore:?} is not a valid logstore name: 2-63 lower-case letters, digits, '-' and '_', starting and ending with a letter or digit",
            at("logstore")
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_log_services_rules() {
        assert!(project_ok("my-project1"));
        assert!(!project_ok("My-Project"));
        assert!(!project_ok("ab"));
        assert!(!project_ok("-abc"));
        assert!(!project_ok("abc-"));
        assert!(logstore_ok("fc_logs-1"));
        assert!(!logstore_ok("_fc"));
        assert!(!logstore_ok("a"));
        assert!(!logstore_ok("a/b"));
        let err = check("Bad", "fine").unwrap_err().to_string();
        assert!(err.contains("project \"Bad\""), "{err}");
        let err = check_field("good-one", "x", "logConfig")
            .unwrap_err()
            .to_string();
        assert!(err.contains("logConfig.logstore \"x\""), "{err}");
    }
}
