//! Who else used the CPU during a run: per-process CPU time from `/proc`, read
//! before and after, so a run disturbed by another workload is marked noisy.

use std::collections::HashMap;
use std::time::Duration;

/// Another process (or all of them together) using more than this share of one
/// CPU during a run makes it noisy.
const NOISY_SHARE: f64 = 0.10;

/// CPU ticks used so far, by pid, with each process's name.
pub type Sample = HashMap<u32, (String, u64)>;

pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Every process's user + system ticks.
pub fn sample() -> Sample {
    let mut sample = Sample::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return sample;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid ...`: comm may hold spaces, so split after ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_string();
        let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
        // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after comm.
        let ticks = fields
            .get(11)
            .and_then(|u| u.parse::<u64>().ok())
            .zip(fields.get(12).and_then(|s| s.parse::<u64>().ok()))
            .map_or(0, |(u, s)| u + s);
        sample.insert(pid, (name, ticks));
    }
    sample
}

/// `Some(description)` when processes other than the server, wrk and this
/// driver used more than [`NOISY_SHARE`] of a CPU between the two samples.
pub fn others_busy(
    before: &Sample,
    after: &Sample,
    server_pid: u32,
    duration: Duration,
) -> Option<String> {
    let ticks_per_sec = 100.0; // USER_HZ on Linux
    let me = std::process::id();
    let mut busy: Vec<(String, f64)> = after
        .iter()
        .filter(|(pid, (name, _))| {
            **pid != server_pid && **pid != me && name != "wrk" && name != "taskset"
        })
        .filter_map(|(pid, (name, ticks))| {
            let earlier = before.get(pid).map_or(0, |b| b.1);
            let share =
                ticks.saturating_sub(earlier) as f64 / ticks_per_sec / duration.as_secs_f64();
            (share > 0.0).then(|| (name.clone(), share))
        })
        .collect();
    let total: f64 = busy.iter().map(|b| b.1).sum();
    if total <= NOISY_SHARE {
        return None;
    }
    busy.sort_by(|a, b| b.1.total_cmp(&a.1));
    let top: Vec<String> = busy
        .iter()
        .take(3)
        .map(|(name, share)| format!("{name} {:.0}%", share * 100.0))
        .collect();
    Some(format!(
        "others used {:.0}% of a CPU: {}",
        total * 100.0,
        top.join(", ")
    ))
}
