//! Timer schedules: the forms FC's `cronExpression` takes, parsed once and asked
//! for their next fire time.
//!
//! - `@every <go duration>` (`@every 5m`, `@every 1h30m`): a fixed interval, phased
//!   from an anchor (the trigger's last change), so a restart keeps the phase.
//!   At least 1 s (FC's console offers minutes; seconds are allowed here for local work).
//! - 6-field cron with seconds, `sec min hour day-of-month month day-of-week`
//!   (7 with a trailing year), with ranges, steps, lists, `?` and month/day names,
//!   plus `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`. Parsed by the `cron` crate.
//!   Day-of-week numbers follow FC's table "1–7 or MON–SUN": **1 = Monday … 7 = Sunday**
//!   (0 is also Sunday); names are exact. A 5-field (seconds-less) expression is
//!   rejected with a message that shows the 6-field form.
//! - `CRON_TZ=<IANA zone> <cron>` (or `TZ=`): the cron is evaluated in that zone; UTC
//!   otherwise. Schedules follow local wall-clock time across DST changes: a local
//!   time that does not exist (spring forward) is skipped that day, and one that
//!   happens twice (fall back) fires once, at its first occurrence. (FC warns that
//!   runs "may be duplicated or skipped"; wasm-fc never duplicates.)
//! - A bare RFC 3339 time (`2026-12-01T09:00:00+08:00`): fires once.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
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

/// The shortest `@every` interval.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);

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
            return Ok(Self::Every { interval, anchor });
        }
        if let Ok(at) = DateTime::parse_from_rfc3339(body) {
            if zone.is_some() {
                return Err(fail(
                    "an RFC 3339 time carries its own offset; drop CRON_TZ".into(),
                ));
            }
            return Ok(Self::Once(at.with_timezone(&Utc)));
        }
        let cron_text = normalise_cron(body).map_err(fail)?;
        let schedule = cron::Schedule::from_str(&cron_text).map_err(|e| fail(cron_reason(&e)))?;
        Ok(Self::Cron {
            schedule: Box::new(schedule),
            zone: zone.unwrap_or(Tz::UTC),
        })
    }

    /// The first fire time strictly after `after`, if there is one.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Every { interval, anchor } => {
                let step = TimeDelta::from_std(*interval).ok()?;
                if after < *anchor {
                    return Some(*anchor + step);
                }
                let elapsed = (after - *anchor).num_milliseconds();
                let periods = elapsed / step.num_milliseconds().max(1) + 1;
                Some(*anchor + step * i32::try_from(periods).ok()?)
            }
            Self::Cron { schedule, zone } => schedule
                .after(&after.with_timezone(zone))
                .next()
                .map(|t| t.with_timezone(&Utc)),
            Self::Once(at) => (*at > after).then_some(*at),
        }
    }
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
