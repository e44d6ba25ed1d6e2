//! Medians over rounds, ratios, and the goals.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::json;

use crate::wrk::Run;

/// What was run.
#[derive(Debug)]
pub struct Plan {
    pub rounds: u32,
    pub duration: Duration,
    pub connections: Vec<u32>,
    pub pinned: bool,
}

/// One server at one concurrency, over its rounds.
#[derive(Debug, Clone)]
pub struct Row {
    pub server: &'static str,
    pub connections: u32,
    pub requests_per_sec: f64,
    pub p50: Duration,
    pub p99: Duration,
    /// Runs the medians are over; `noisy` of them were disturbed (used only
    /// when no clean run exists).
    pub runs: usize,
    pub noisy: usize,
}

#[derive(Debug)]
pub struct Table<'a> {
    plan: &'a Plan,
    rows: Vec<Row>,
}

fn median<T: Copy + PartialOrd>(mut values: Vec<T>) -> T {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    values[values.len() / 2]
}

pub fn summarize<'a>(plan: &'a Plan, runs: &[Run]) -> Table<'a> {
    let mut rows = Vec::new();
    let mut keys: Vec<(&'static str, u32)> = Vec::new();
    for run in runs {
        if !keys.contains(&(run.server, run.connections)) {
            keys.push((run.server, run.connections));
        }
    }
    for (server, connections) in keys {
        let all: Vec<&Run> = runs
            .iter()
            .filter(|r| r.server == server && r.connections == connections)
            .collect();
        let clean: Vec<&Run> = all.iter().copied().filter(|r| r.noisy.is_none()).collect();
        let used = if clean.is_empty() { &all } else { &clean };
        rows.push(Row {
            server,
            connections,
            requests_per_sec: median(used.iter().map(|r| r.requests_per_sec).collect()),
            p50: median(used.iter().map(|r| r.p50).collect()),
            p99: median(used.iter().map(|r| r.p99).collect()),
            runs: used.len(),
            noisy: all.len() - clean.len(),
        });
    }
    Table { plan, rows }
}

/// A goal: the measured value against its bound.
struct Goal {
    name: &'static str,
    measured: String,
    met: bool,
}

impl Table<'_> {
    fn row(&self, server: &str, connections: u32) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.server == server && r.connections == connections)
    }

    fn ratio(&self, server: &str, base: &str, connections: u32) -> Option<f64> {
        let a = self.row(server, connections)?;
        let b = self.row(base, connections)?;
        Some(a.requests_per_sec / b.requests_per_sec)
    }

    fn goals(&self) -> Vec<Goal> {
        let mut goals = Vec::new();
        let mut ratio_goal = |name, server, base, bound: f64| {
            if let Some(r) = self.ratio(server, base, 64) {
                goals.push(Goal {
                    name,
                    measured: format!("{r:.2}x (goal >= {bound}x)"),
                    met: r >= bound,
                });
            }
        };
        ratio_goal(
            "wasm-fc reuse req/s vs serve-reuse, c=64",
            "wasm-fc",
            "serve-reuse",
            1.2,
        );
        ratio_goal(
            "wasm-fc reuse req/s vs hyper, c=64",
            "wasm-fc",
            "hyper",
            0.6,
        );
        ratio_goal(
            "wasm-fc fresh req/s vs serve default, c=64",
            "wasm-fc-fresh",
            "serve",
            2.5,
        );
        if let (Some(a), Some(h)) = (self.row("wasm-fc", 1), self.row("hyper", 1)) {
            let extra = a.p50.saturating_sub(h.p50);
            goals.push(Goal {
                name: "wasm-fc reuse p50 at c=1 over hyper's",
                measured: format!("+{extra:.1?} (goal <= +10µs)"),
                met: extra <= Duration::from_micros(10),
            });
        }
        if let (Some(a), Some(h)) = (self.row("wasm-fc", 64), self.row("hyper", 64)) {
            let r = a.p99.as_secs_f64() / h.p99.as_secs_f64();
            goals.push(Goal {
                name: "wasm-fc reuse p99 at c=64 vs hyper's",
                measured: format!("{r:.2}x (goal <= 3x)"),
                met: r <= 3.0,
            });
        }
        goals
    }

    pub fn text(&self) -> String {
        let mut out = String::new();
        let p = self.plan;
        let _ = writeln!(
            out,
            "\nmedians of {} round(s) x {} s; {}; ratios are req/s over the named server's, same run",
            p.rounds,
            p.duration.as_secs(),
            if p.pinned {
                "server on CPU 0, wrk -t1 on CPU 1"
            } else {
                "unpinned"
            }
        );
        for &c in &p.connections {
            let _ = writeln!(
                out,
                "\nc={c}\n{:<14} {:>10} {:>10} {:>10} {:>8} {:>8} {:>12}",
                "server", "req/s", "p50", "p99", "x hyper", "x serve", "x serve-reuse"
            );
            for row in self.rows.iter().filter(|r| r.connections == c) {
                let ratio = |base| {
                    self.ratio(row.server, base, c)
                        .map_or("-".to_string(), |r| format!("{r:.2}"))
                };
                let _ = writeln!(
                    out,
                    "{:<14} {:>10.0} {:>10.1?} {:>10.1?} {:>8} {:>8} {:>12}{}",
                    row.server,
                    row.requests_per_sec,
                    row.p50,
                    row.p99,
                    ratio("hyper"),
                    ratio("serve"),
                    ratio("serve-reuse"),
                    match row.noisy {
                        0 => String::new(),
                        n if row.runs == n => format!("  (all {n} run(s) noisy)"),
                        n => format!("  ({n} noisy run(s) left out)"),
                    }
                );
            }
        }
        let _ = writeln!(out, "\ngoals");
        for goal in self.goals() {
            let _ = writeln!(
                out,
                "  [{}] {}: {}",
                if goal.met { "met" } else { "NOT met" },
                goal.name,
                goal.measured
            );
        }
        out
    }

    pub fn json(&self, runs: &[Run]) -> serde_json::Value {
        json!({
            "rounds": self.plan.rounds,
            "durationSecs": self.plan.duration.as_secs(),
            "pinned": self.plan.pinned,
            "summary": self.rows.iter().map(|r| json!({
                "server": r.server, "connections": r.connections,
                "requestsPerSec": r.requests_per_sec,
                "p50Us": r.p50.as_secs_f64() * 1e6, "p99Us": r.p99.as_secs_f64() * 1e6,
                "runs": r.runs, "noisyRunsLeftOut": r.noisy,
            })).collect::<Vec<_>>(),
            "goals": self.goals().iter().map(|g| json!({
                "goal": g.name, "measured": g.measured, "met": g.met,
            })).collect::<Vec<_>>(),
            "runs": runs.iter().map(Run::json).collect::<Vec<_>>(),
        })
    }
}
