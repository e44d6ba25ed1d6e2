//! FC-style logging: `<ISO-8601 time> <requestId> [LEVEL] message` on stderr,
//! which wasm-fc captures per invocation into the function's log.

use std::cell::RefCell;
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

thread_local! {
    static REQUEST_ID: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Sets the request id that prefixes log lines; the export glue calls it per invocation.
#[doc(hidden)]
pub fn set_request_id(id: &str) {
    REQUEST_ID.with(|cell| {
        let mut current = cell.borrow_mut();
        current.clear();
        current.push_str(id);
    });
}

/// Writes one log line at `level`. Prefer the [`info!`](crate::log::info) family.
pub fn write(level: &str, message: std::fmt::Arguments<'_>) {
    let line =
        REQUEST_ID.with(|id| format!("{} {} [{level}] {message}\n", now_iso8601(), id.borrow()));
    // Logging must never fail the handler; a closed stderr just drops the line.
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// Logs at DEBUG.
#[macro_export]
macro_rules! __fc_debug { ($($t:tt)*) => { $crate::log::write("DEBUG", format_args!($($t)*)) } }
/// Logs at INFO.
#[macro_export]
macro_rules! __fc_info { ($($t:tt)*) => { $crate::log::write("INFO", format_args!($($t)*)) } }
/// Logs at WARN.
#[macro_export]
macro_rules! __fc_warn { ($($t:tt)*) => { $crate::log::write("WARN", format_args!($($t)*)) } }
/// Logs at ERROR.
#[macro_export]
macro_rules! __fc_error { ($($t:tt)*) => { $crate::log::write("ERROR", format_args!($($t)*)) } }

pub use crate::{__fc_debug as debug, __fc_error as error, __fc_info as info, __fc_warn as warn};

/// UTC time as `2024-01-02T03:04:05.678Z`, without pulling a date crate into every guest.
fn now_iso8601() -> String {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since_epoch.as_secs();
    let (days, day_secs) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        day_secs / 3600,
        day_secs / 60 % 60,
        day_secs % 60,
        since_epoch.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month, day); Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates() {
        assert_eq!(super::civil_from_days(0), (1970, 1, 1));
        assert_eq!(super::civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(super::civil_from_days(11_016), (2000, 2, 29));
    }
}
