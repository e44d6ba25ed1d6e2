use super::*;
use chrono::TimeZone;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

fn parse(expr: &str) -> Schedule {
    Schedule::parse(expr, utc(2026, 1, 1, 0, 0, 0)).unwrap()
}

fn next_n(expr: &str, from: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
    let schedule = parse(expr);
    let mut out = Vec::new();
    let mut at = from;
    for _ in 0..n {
        at = schedule.next_after(at).unwrap();
        out.push(at);
    }
    out
}

fn error_of(expr: &str) -> String {
    Schedule::parse(expr, utc(2026, 1, 1, 0, 0, 0))
        .unwrap_err()
        .to_string()
}

#[test]
fn every_is_phased_from_the_anchor_and_takes_go_durations() {
    let from = utc(2026, 1, 1, 0, 7, 0);
    assert_eq!(
        next_n("@every 5m", from, 2),
        [utc(2026, 1, 1, 0, 10, 0), utc(2026, 1, 1, 0, 15, 0)]
    );
    assert_eq!(
        next_n("@every 1h30m", utc(2026, 1, 1, 0, 0, 0), 2),
        [utc(2026, 1, 1, 1, 30, 0), utc(2026, 1, 1, 3, 0, 0)]
    );
    assert_eq!(
        next_n("@every 1.5s", utc(2026, 1, 1, 0, 0, 0), 2)[1],
        utc(2026, 1, 1, 0, 0, 3)
    );
    assert!(error_of("@every 5x").contains("Go duration"));
    assert!(error_of("@every").contains("Go duration"));
    assert!(error_of("@every 500ms").contains("at least"));
}

#[test]
fn six_field_cron_with_seconds() {
    let from = utc(2026, 1, 1, 8, 58, 30);
    assert_eq!(
        next_n("0 0 9 * * ?", from, 2),
        [utc(2026, 1, 1, 9, 0, 0), utc(2026, 1, 2, 9, 0, 0)]
    );
    assert_eq!(
        next_n("0 */5 * * * *", from, 2),
        [utc(2026, 1, 1, 9, 0, 0), utc(2026, 1, 1, 9, 5, 0)]
    );
    assert_eq!(
        next_n("* * * * * *", from, 2),
        [utc(2026, 1, 1, 8, 58, 31), utc(2026, 1, 1, 8, 58, 32)]
    );
    assert_eq!(
        next_n("0 0 0 1 JUL,jan ?", from, 2),
        [utc(2026, 7, 1, 0, 0, 0), utc(2027, 1, 1, 0, 0, 0)]
    );
    assert_eq!(
        next_n("0 0 4 1-3 * *", from, 3),
        [
            utc(2026, 1, 2, 4, 0, 0),
            utc(2026, 1, 3, 4, 0, 0),
            utc(2026, 2, 1, 4, 0, 0)
        ]
    );
}

/// 2026-11-22 is a Sunday. FC's table says "1–7 or MON–SUN": 1 = Monday, 7 = Sunday.
#[test]
fn day_of_week_numbers_are_monday_first_and_names_are_exact() {
    let sunday = utc(2026, 11, 22, 0, 0, 0);
    let weekdays = |expr| {
        next_n(expr, sunday, 7)
            .iter()
            .map(|t| t.format("%a").to_string())
            .collect::<Vec<_>>()
    };
    let mon_to_fri = ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon", "Tue"];
    assert_eq!(weekdays("0 0 9 ? * 1-5"), mon_to_fri);
    assert_eq!(weekdays("0 0 9 ? * MON-FRI"), mon_to_fri);
    assert_eq!(weekdays("0 0 9 ? * 7")[0], "Sun");
    assert_eq!(weekdays("0 0 9 ? * 0")[0], "Sun");
    assert_eq!(weekdays("0 0 9 ? * SUN")[..2], ["Sun", "Sun"]);
    assert_eq!(weekdays("0 0 9 ? * MON")[..2], ["Mon", "Mon"]);
    assert_eq!(weekdays("0 0 9 ? * SAT")[0], "Sat");
    assert_eq!(
        weekdays("0 0 9 ? * FRI-MON")[..4],
        ["Sun", "Mon", "Fri", "Sat"]
    );
    assert_eq!(
        weekdays("0 0 9 ? * 1-7/2")[..4],
        ["Sun", "Mon", "Wed", "Fri"]
    );
    assert!(error_of("0 0 9 ? * 8").contains("out of range"));
    assert!(error_of("0 0 9 ? * MONX").contains("not a day of the week"));
}

#[test]
fn five_field_and_malformed_expressions_say_what_is_wrong() {
    let five = error_of("*/5 * * * *");
    assert!(
        five.contains("5 fields") && five.contains("0 */5 * * * *"),
        "{five}"
    );
    assert!(error_of("").contains("empty"));
    assert!(error_of("0 0 9 *").contains("4 fields"));
    assert!(
        error_of("61 * * * * *").contains("Seconds"),
        "{}",
        error_of("61 * * * * *")
    );
    assert!(error_of("0 0 25 * * *").contains("Hours"));
    assert!(
        error_of("0 0 9 * FOO *").contains("month"),
        "{}",
        error_of("0 0 9 * FOO *")
    );
    assert!(error_of("CRON_TZ=Mars/Olympus 0 0 9 * * *").contains("IANA"));
    assert!(error_of("CRON_TZ=Asia/Shanghai").contains("followed by"));
    assert!(error_of("CRON_TZ=UTC @every 5m").contains("@every"));
}

#[test]
fn cron_tz_evaluates_in_the_zone() {
    let from = utc(2026, 1, 1, 0, 0, 0);
    // 09:00 in Shanghai (UTC+8, no DST) is 01:00 UTC.
    assert_eq!(
        next_n("CRON_TZ=Asia/Shanghai 0 0 9 * * *", from, 1),
        [utc(2026, 1, 1, 1, 0, 0)]
    );
    assert_eq!(
        next_n("TZ=Asia/Shanghai 0 0 9 * * *", from, 1),
        [utc(2026, 1, 1, 1, 0, 0)]
    );
}

/// New York springs forward on 2026-03-08 (02:00 → 03:00) and falls back on
/// 2026-11-01 (02:00 → 01:00). Schedules follow local wall-clock time: a local
/// time that does not exist is skipped; one that happens twice fires once.
#[test]
fn dst_skips_missing_local_times_and_fires_doubled_ones_once() {
    let spring = next_n(
        "CRON_TZ=America/New_York 0 30 2 * * *",
        utc(2026, 3, 7, 12, 0, 0),
        2,
    );
    // 02:30 EST on 03-07 has passed; 03-08 02:30 does not exist; 03-09 02:30 EDT = 06:30 UTC.
    assert_eq!(
        spring,
        [utc(2026, 3, 9, 6, 30, 0), utc(2026, 3, 10, 6, 30, 0)]
    );
    let fall = next_n(
        "CRON_TZ=America/New_York 0 30 1 * * *",
        utc(2026, 10, 31, 12, 0, 0),
        3,
    );
    // 01:30 EDT (05:30 UTC) fires; the second 01:30 (EST) does not; then daily in EST.
    assert_eq!(
        fall,
        [
            utc(2026, 11, 1, 5, 30, 0),
            utc(2026, 11, 2, 6, 30, 0),
            utc(2026, 11, 3, 6, 30, 0)
        ]
    );
    // An hourly schedule: 01:00 EDT, then 02:00 EST (the repeated 01:00 is not fired again).
    let hourly = next_n(
        "CRON_TZ=America/New_York 0 0 * * * *",
        utc(2026, 11, 1, 4, 30, 0),
        3,
    );
    assert_eq!(
        hourly,
        [
            utc(2026, 11, 1, 5, 0, 0),
            utc(2026, 11, 1, 7, 0, 0),
            utc(2026, 11, 1, 8, 0, 0)
        ]
    );
    // Spring forward for an hourly schedule: 01:00 EST, then 03:00 EDT.
    let hourly_spring = next_n(
        "CRON_TZ=America/New_York 0 0 * * * *",
        utc(2026, 3, 8, 5, 30, 0),
        2,
    );
    assert_eq!(
        hourly_spring,
        [utc(2026, 3, 8, 6, 0, 0), utc(2026, 3, 8, 7, 0, 0)]
    );
}

#[test]
fn an_rfc3339_time_fires_once() {
    let schedule = parse("2026-12-01T09:00:00+08:00");
    let at = utc(2026, 12, 1, 1, 0, 0);
    assert_eq!(schedule.next_after(utc(2026, 1, 1, 0, 0, 0)), Some(at));
    assert_eq!(schedule.next_after(at), None);
}

#[test]
fn every_is_bounded_and_names_the_bound() {
    // The hostile probe's expression: accepted before, then a panic in next_after.
    let huge = error_of("@every 3000000000h");
    assert!(huge.contains("at most 8784h"), "{huge}");
    assert!(error_of("@every 8785h").contains("at most 8784h"));
    assert!(error_of("@every 8784h0.001s").contains("at most"));
    // A duration too large for any clock is still a clean refusal.
    assert!(error_of("@every 99999999999999999999999h").contains("Go duration"));
    parse("@every 8784h");
    parse("@every 1s");
    assert_eq!(MAX_INTERVAL, Duration::from_secs(8784 * 3600));
}

#[test]
fn one_shot_times_are_bounded_to_1970_through_9999() {
    assert_eq!(
        DateTime::from_timestamp(LATEST_ONCE_SECS, 0),
        Some(utc(9999, 12, 31, 23, 59, 59))
    );
    assert_eq!(
        DateTime::from_timestamp(EARLIEST_ONCE_SECS, 0),
        Some(utc(1970, 1, 1, 0, 0, 0))
    );
    parse("1970-01-01T00:00:00Z");
    parse("9999-12-31T23:59:59Z");
    let early = error_of("1969-12-31T23:59:59Z");
    assert!(early.contains("from 1970-01-01T00:00:00Z"), "{early}");
    // An offset can carry a 4-digit year past 9999 in UTC.
    assert!(error_of("9999-12-31T23:59:59-01:00").contains("to 9999-12-31T23:59:59Z"));
    assert!(error_of("0000-01-01T00:00:00+01:00").contains("from 1970"));
    // Year 275000 is past chrono's last year (262143) and RFC 3339's 4 digits.
    for text in [
        "275000-01-01T00:00:00Z",
        "+275000-01-01T00:00:00Z",
        "262143-12-31T23:59:59Z",
    ] {
        let error = error_of(text);
        assert!(error.contains("not an RFC 3339 time"), "{text}: {error}");
    }
}

#[test]
fn cron_years_are_the_crates_and_a_past_year_never_fires() {
    assert_eq!(
        next_n("0 0 0 1 1 ? 2100", utc(2026, 1, 1, 0, 0, 0), 1),
        [utc(2100, 1, 1, 0, 0, 0)]
    );
    assert!(Schedule::parse("0 0 0 1 1 ? 2101", utc(2026, 1, 1, 0, 0, 0)).is_err());
    assert!(Schedule::parse("0 0 0 1 1 ? 1969", utc(2026, 1, 1, 0, 0, 0)).is_err());
    assert_eq!(
        parse("0 0 0 1 1 ? 2100").next_after(utc(2100, 1, 1, 0, 0, 0)),
        None
    );
}

/// Near chrono's last instant every form answers "never again" instead of
/// overflowing (`DateTime + TimeDelta overflowed` was a panic in the scheduler).
#[test]
fn next_after_is_checked_near_chronos_limits() {
    let max = DateTime::<Utc>::MAX_UTC;
    let min = DateTime::<Utc>::MIN_UTC;
    let near_max = max - TimeDelta::days(1);
    for expr in [
        "@every 8784h",
        "@every 1s",
        "* * * * * *",
        "CRON_TZ=Pacific/Kiritimati 0 0 0 * * *",
    ] {
        let schedule = Schedule::parse(expr, near_max).unwrap();
        assert_eq!(schedule.next_after(max), None, "{expr}");
        // From chrono's first instant to its last: the widest elapsed time there is.
        let schedule = Schedule::parse(expr, min).unwrap();
        assert_eq!(schedule.next_after(max), None, "{expr}");
        if !expr.starts_with('@') {
            assert_eq!(
                schedule.next_after(near_max),
                None,
                "cron ends in 2100: {expr}"
            );
        }
    }
    // An anchor at the end of time and a clock at its start: the first fire is one
    // step after the anchor, which does not exist.
    let every = Schedule::parse("@every 8784h", near_max).unwrap();
    assert_eq!(every.next_after(min), None);
    // From the first instant, a 1 s interval fires a second before the last one.
    let every = Schedule::parse("@every 1s", min).unwrap();
    assert!(every.next_after(near_max).is_some());
    // A second before the limit, a 1 s interval still has its one last fire.
    let every = Schedule::parse("@every 1s", max - TimeDelta::seconds(2)).unwrap();
    assert_eq!(
        every.next_after(max - TimeDelta::seconds(2)),
        Some(max - TimeDelta::seconds(1))
    );
    assert_eq!(Schedule::Once(max).next_after(near_max), Some(max));
    assert_eq!(Schedule::Once(max).next_after(max), None);
}

#[test]
fn every_keeps_sub_millisecond_phase() {
    let anchor = utc(2026, 1, 1, 0, 0, 0);
    let schedule = Schedule::parse("@every 1.0000005s", anchor).unwrap();
    let later = anchor + TimeDelta::seconds(1_000_000);
    let next = schedule.next_after(later).unwrap();
    let since = next - anchor;
    assert!(next > later && next - later <= TimeDelta::milliseconds(1001));
    assert_eq!(
        i128::from(since.num_nanoseconds().unwrap()) % 1_000_000_500,
        0,
        "fires are whole periods from the anchor"
    );
}
