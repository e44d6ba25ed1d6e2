//! Timer schedules: the forms FC's `cronExpression` takes, parsed once and asked
//! for their next fire time.
//!
//! - `@every <go duration>` (`@every 5m`, `@every 1h30m`): a fixed interval, phased
//!   from an anchor (the trigger's last change), so a restart keeps the phase.
//!   From [`MIN_INTERVAL`] (1 s; FC's console offers minutes, seconds are allowed
//!   here for local work) to [`MAX_INTERVAL`] (366 days; FC documents no maximum,
//!   and a longer interval is a one-shot time or a yearly cron in disguise).
//! - 6-field cron with seconds, `sec min hour day-of-month month day-of-week`
//!   (7 with a trailing year), with ranges, steps, lists, `?` and month/day names,
//!   plus `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`. Parsed by the `cron` crate.
//!   Day-of-week numbers follow FC's table "1–7 or MON–SUN": **1 = Monday … 7 = Sunday**
//!   (0 is also Sunday); names are exact. A 5-field (seconds-less) expression is
//!   rejected with a message that shows the 6-field form. Years are the `cron`
//!   crate's, 1970 to [`CRON_LAST_YEAR`] (2100).
//! - `CRON_TZ=<IANA zone> <cron>` (or `TZ=`): the cron is evaluated in that zone; UTC
//!   otherwise. Schedules follow local wall-clock time across DST changes: a local
//!   time that does not exist (spring forward) is skipped that day, and one that
//!   happens twice (fall back) fires once, at its first occurrence. (FC warns that
//!   runs "may be duplicated or skipped"; wasm-fc never duplicates.)
//! - A bare RFC 3339 time (`2026-12-01T09:00:00+08:00`): fires once. It must lie
//!   in 1970-01-01T00:00:00Z ..= 9999-12-31T23:59:59Z (RFC 3339 has 4-digit years).
//!
//! Every bound is checked by [`Schedule::parse`], so a refused expression is a 400
//! on CreateTrigger and a skipped row at start-up; [`Schedule::next_after`] uses
//! checked arithmetic only, and answers "never again" (`None`) rather than panic
//! when a time would leave chrono's range.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Datelike, TimeDelta, Utc};
use chrono_tz::Tz;

/// A parsed `cronExpression`.
#[derive(Debug, Clone)]
pub enum Schedule {
    Every {
        interval: Duration,
        anchor: DateTime<Utc>,
    },
    Cron {
        schedule: Box<cron::Schedule>,
        zone: Tz,
    },
    Once(DateTime<Utc>),
}

/// Why an expression was refused; the text is for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cronExpression {expression:?} is invalid: {reason}")]
pub struct ScheduleError {
    pub expression: String,
    pub reason: String,
}

/// The shortest `@every` interval: 1 s.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// The longest `@every` interval: 366 days (`@every 8784h`), a leap year.
pub const MAX_INTERVAL: Duration = Duration::from_secs(366 * 24 * 3600);

/// The earliest one-shot time: 1970-01-01T00:00:00Z, as Unix seconds.
pub const EARLIEST_ONCE_SECS: i64 = 0;

/// The latest one-shot time: 9999-12-31T23:59:59Z (RFC 3339's last year), as Unix seconds.
pub const LATEST_ONCE_SECS: i64 = 253_402_300_799;

/// The last year the `cron` crate's year field covers; no cron fires after it.
pub const CRON_LAST_YEAR: i32 = 2100;

const NANOS_PER_SEC: i128 = 1_000_000_000;

impl Schedule {
    /// Parses an expression; `anchor` phases `@every` intervals.
    pub fn parse(expression: &str, anchor: DateTime<Utc>) -> Result<Self, ScheduleError> {
        let fail = |reason: String| ScheduleError {
            expression: expression.to_string(),
            reason,
        };
        let text = expression.trim();
        if text.is_empty() {
            return Err(fail("it is empty".into()));
        }
        let (zone, body) = split_zone(text).map_err(fail)?;
        if let Some(interval) = body.strip_prefix("@every") {
            if zone.is_some() {
                return Err(fail("CRON_TZ applies to cron fields, not @every".into()));
            }
            let interval = parse_go_duration(interval.trim()).map_err(fail)?;
            if interval < MIN_INTERVAL {
                return Err(fail(format!(
                    "the interval must be at least {MIN_INTERVAL:?}"
                )));
            }
            if interval > MAX_INTERVAL {
                return Err(fail(format!(
                    "the interval must be at most {}h (366 days)",
                    MAX_INTERVAL.as_secs() / 3600
                )));
            }
            return Ok(Self::Every { interval, anchor });
        }
        if let Ok(at) = DateTime::parse_from_rfc3339(body) {
            if zone.is_some() {
                return Err(fail(
                    "an RFC 3339 time carries its own offset; drop CRON_TZ".into(),
                ));
            }
            let at = at.with_timezone(&Utc);
            if !(EARLIEST_ONCE_SECS..=LATEST_ONCE_SECS).contains(&at.timestamp()) {
                return Err(fail(
                    "a one-shot time must be from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z"
                        .into(),
                ));
            }
            return Ok(Self::Once(at));
        }
        if looks_like_a_time(body) {
            return Err(fail(
                "it is not an RFC 3339 time like 2026-12-01T09:00:00+08:00 (years 1970 to 9999)"
                    .into(),
            ));
        }
        let cron_text = normalise_cron(body).map_err(fail)?;
        let schedule = cron::Schedule::from_str(&cron_text).map_err(|e| fail(cron_reason(&e)))?;
        Ok(Self::Cron {
            schedule: Box::new(schedule),
            zone: zone.unwrap_or(Tz::UTC),
        })
    }

    /// The first fire time strictly after `after`, if there is one. `None` also
    /// when that time would be outside chrono's range (never a panic).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Every { interval, anchor } => next_interval(*interval, *anchor, after),
            // The `cron` crate adds a second to `after` unchecked; past its last
            // year nothing matches anyway, so it is never asked there.
            Self::Cron { schedule, zone } if after.year() <= CRON_LAST_YEAR => schedule
                .after(&after.with_timezone(zone))
                .next()
                .map(|t| t.with_timezone(&Utc)),
            Self::Cron { .. } => None,
            Self::Once(at) => (*at > after).then_some(*at),
        }
    }
}

/// The first `anchor + k·interval` (k ≥ 1) strictly after `after`, computed in
/// exact nanoseconds (i128) and checked: `None` when it is past chrono's range.
fn next_interval(
    interval: Duration,
    anchor: DateTime<Utc>,
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let step = i128::try_from(interval.as_nanos())
        .ok()
        .filter(|step| *step > 0)?;
    let elapsed = after.signed_duration_since(anchor);
    let elapsed =
        i128::from(elapsed.num_seconds()) * NANOS_PER_SEC + i128::from(elapsed.subsec_nanos());
    let periods = if elapsed < 0 { 1 } else { elapsed / step + 1 };
    let offset = periods.checked_mul(step)?;
    let seconds = i64::try_from(offset / NANOS_PER_SEC).ok()?;
    let nanos = u32::try_from(offset % NANOS_PER_SEC).ok()?;
    anchor.checked_add_signed(TimeDelta::new(seconds, nanos)?)
}

/// A single token with a date's `-` and a time's `:`: meant as a one-shot time.
fn looks_like_a_time(body: &str) -> bool {
    !body.contains(char::is_whitespace) && body.contains('-') && body.contains(':')
}

/// Splits off a `CRON_TZ=` / `TZ=` prefix.
fn split_zone(text: &str) -> Result<(Option<Tz>, &str), String> {
    let Some(rest) = text
        .strip_prefix("CRON_TZ=")
        .or_else(|| text.strip_prefix("TZ="))
    else {
        return Ok((None, text));
    };
    let (name, body) = rest
        .split_once(char::is_whitespace)
        .ok_or_else(|| "CRON_TZ=<zone> must be followed by a cron expression".to_string())?;
    let zone = Tz::from_str(name)
        .map_err(|_| format!("{name:?} is not an IANA time zone (e.g. Asia/Shanghai)"))?;
    Ok((Some(zone), body.trim()))
}

/// Checks the field count and rewrites day-of-week to the `cron` crate's names.
fn normalise_cron(body: &str) -> Result<String, String> {
    if body.starts_with('@') {
        return Ok(body.to_string());
    }
    let mut fields: Vec<String> = body.split_whitespace().map(str::to_string).collect();
    match fields.len() {
        6 | 7 => {}
        5 => {
            return Err(format!(
                "it has 5 fields, but FC's cron has 6 with seconds first: try \"0 {body}\""
            ));
        }
        n => {
            return Err(format!(
                "it has {n} fields; expected 6: seconds minutes hours day-of-month month day-of-week"
            ));
        }
    }
    fields[5] = day_of_week(&fields[5])?;
    Ok(fields.join(" "))
}

const DAY_NAMES: [&str; 7] = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];

/// Rewrites a day-of-week field (1 = Monday … 7 = Sunday, 0 = Sunday, names) into
/// an explicit list of names, which the `cron` crate reads unambiguously.
fn day_of_week(field: &str) -> Result<String, String> {
    if field == "*" || field == "?" {
        return Ok(field.to_string());
    }
    let mut days = [false; 7];
    for item in field.split(',') {
        let (base, step) = match item.split_once('/') {
            Some((base, step)) => {
                let step: usize = step
                    .parse()
                    .ok()
                    .filter(|s| (1..=7).contains(s))
                    .ok_or_else(|| format!("day-of-week step {step:?} must be 1..7"))?;
                (base, step)
            }
            None => (item, 1),
        };
        let (first, last) = match base.split_once('-') {
            _ if base == "*" || base == "?" => (1, 7),
            Some((a, b)) => (iso_day(a)?, iso_day(b)?),
            None if step > 1 || item.contains('/') => (iso_day(base)?, 7),
            None => (iso_day(base)?, iso_day(base)?),
        };
        // A range may wrap the week (FRI-MON).
        let span = (last + 7 - first) % 7;
        for offset in (0..=span).step_by(step) {
            days[(first - 1 + offset) % 7] = true;
        }
    }
    Ok(DAY_NAMES
        .iter()
        .zip(days)
        .filter(|(_, on)| *on)
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(","))
}

/// A day as 1 (Monday) … 7 (Sunday).
fn iso_day(token: &str) -> Result<usize, String> {
    if let Ok(n) = token.parse::<usize>() {
        return match n {
            0 | 7 => Ok(7),
            1..=6 => Ok(n),
            _ => Err(format!(
                "day-of-week {n} is out of range (1 = Monday … 7 = Sunday)"
            )),
        };
    }
    let upper = token.to_ascii_uppercase();
    DAY_NAMES
        .iter()
        .position(|name| upper == *name || (upper.len() > 3 && full_day_name(name) == upper))
        .map(|i| i + 1)
        .ok_or_else(|| format!("{token:?} is not a day of the week (MON … SUN or 1 … 7)"))
}

fn full_day_name(short: &str) -> &'static str {
    match short {
        "MON" => "MONDAY",
        "TUE" => "TUESDAY",
        "WED" => "WEDNESDAY",
        "THU" => "THURSDAY",
        "FRI" => "FRIDAY",
        "SAT" => "SATURDAY",
        _ => "SUNDAY",
    }
}

/// The `cron` crate's error puts the expression and a caret first; keep the reason.
fn cron_reason(error: &cron::error::Error) -> String {
    let text = error.to_string();
    let reason = text.lines().last().unwrap_or_default().trim();
    if reason.is_empty() || reason == "^" {
        "it is not a valid cron expression (seconds minutes hours day-of-month month day-of-week)"
            .to_string()
    } else {
        reason.to_string()
    }
}

/// Go's `time.ParseDuration` units: `1h30m`, `90s`, `1.5h`, `500ms`.
fn parse_go_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a Go duration like 5m, 1h30m or 90s");
    if text.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let number: f64 = rest[..number_len].parse().map_err(|_| bad())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return Err(bad()),
        };
        total += number * seconds;
        rest = &rest[unit_len..];
    }
    Duration::try_from_secs_f64(total).map_err(|_| bad())
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
