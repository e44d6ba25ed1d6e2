//! Timer schedules (`Schedule::parse`, then `next_after`): the whole input is a
//! `cronExpression`. From fixed times (now-ish, the cron crate's last year, the
//! end of RFC 3339), fire times must come strictly later each step, and nothing
//! may panic or hang (issue 15 #10 was an overflow panic here).
#![no_main]

use chrono::{DateTime, TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use wasm_fc_api::triggers::schedule::Schedule;

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

fuzz_target!(|data: &[u8]| {
    let Ok(expression) = std::str::from_utf8(data) else {
        return;
    };
    let anchor = at(2026, 1, 1, 0, 0, 0);
    let Ok(schedule) = Schedule::parse(expression, anchor) else {
        return;
    };
    for from in [
        at(2026, 3, 29, 1, 30, 0),
        at(2100, 12, 31, 23, 59, 59),
        at(9999, 12, 31, 23, 59, 59),
    ] {
        let mut after = from;
        for _ in 0..4 {
            let Some(next) = schedule.next_after(after) else {
                break;
            };
            assert!(next > after, "{expression:?}: {next} is not after {after}");
            after = next;
        }
    }
});
