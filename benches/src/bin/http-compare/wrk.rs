//! Running wrk and reading its report.

use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_json::json;

use crate::noise;
use crate::servers::Running;

/// One measured wrk run.
#[derive(Debug, Clone)]
pub struct Run {
    pub server: &'static str,
    pub connections: u32,
    pub round: u32,
    pub requests_per_sec: f64,
    pub requests: u64,
    pub p50: Duration,
    pub p99: Duration,
    /// Non-2xx responses plus socket errors (timeouts, resets).
    pub errors: u64,
    /// Set when another process used CPU during the run: who, and how much.
    pub noisy: Option<String>,
}

impl Run {
    pub fn summary(&self) -> String {
        format!(
            "round {} {:<13} c={:<3} {:>9.0} req/s  p50 {:>9.1?}  p99 {:>9.1?}{}{}",
            self.round,
            self.server,
            self.connections,
            self.requests_per_sec,
            self.p50,
            self.p99,
            if self.errors > 0 {
                format!("  {} errors", self.errors)
            } else {
                String::new()
            },
            self.noisy
                .as_ref()
                .map(|n| format!("  NOISY ({n})"))
                .unwrap_or_default()
        )
    }

    pub fn json(&self) -> serde_json::Value {
        json!({
            "server": self.server, "connections": self.connections, "round": self.round,
            "requestsPerSec": self.requests_per_sec, "requests": self.requests,
            "p50Us": self.p50.as_secs_f64() * 1e6, "p99Us": self.p99.as_secs_f64() * 1e6,
            "errors": self.errors, "noisy": self.noisy,
        })
    }
}

pub fn check_installed() -> anyhow::Result<()> {
    match Command::new("wrk").arg("--version").output() {
        Ok(_) => Ok(()),
        Err(_) => bail!("wrk is not installed (Debian: apt-get install wrk)"),
    }
}

/// A 1 s warm-up (not recorded), then the measured run.
pub fn measure(
    server: &Running,
    connections: u32,
    duration: Duration,
    pin: bool,
    round: u32,
) -> anyhow::Result<Run> {
    run_wrk(server, connections, Duration::from_secs(1), pin)?;
    let before = noise::sample();
    let output = run_wrk(server, connections, duration, pin)?;
    let noisy = noise::others_busy(&before, &noise::sample(), server.pid, duration);
    let mut run = parse(&output).with_context(|| format!("reading wrk's report:\n{output}"))?;
    run.server = server.name;
    run.connections = connections;
    run.round = round;
    run.noisy = noisy;
    Ok(run)
}

/// Runs wrk (pinned to CPU 1 when `pin`), bounded by its duration plus a margin.
fn run_wrk(
    server: &Running,
    connections: u32,
    duration: Duration,
    pin: bool,
) -> anyhow::Result<String> {
    let mut command = if pin {
        let mut c = Command::new("taskset");
        c.args(["-c", "1", "wrk"]);
        c
    } else {
        Command::new("wrk")
    };
    command
        .args(["-t1", "--latency", "--timeout", "2s"])
        .arg(format!("-c{connections}"))
        .arg(format!("-d{}s", duration.as_secs().max(1)))
        .arg(&server.url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = command.spawn().context("spawning wrk")?;
    let pid = child.id();
    // wrk stops itself after -d; this watchdog only guards against a hang, and
    // stands down as soon as wrk exits (so it never kills a reused pid).
    let limit = duration + Duration::from_secs(15);
    let (done, exited) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = exited.recv_timeout(limit) {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
    });
    let output = child.wait_with_output();
    drop(done);
    let _ = watchdog.join();
    let output = output?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!(
            "wrk failed ({}): {text}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(text)
}

/// Reads wrk's `--latency` report.
fn parse(report: &str) -> anyhow::Result<Run> {
    let mut run = Run {
        server: "",
        connections: 0,
        round: 0,
        requests_per_sec: 0.0,
        requests: 0,
        p50: Duration::ZERO,
        p99: Duration::ZERO,
        errors: 0,
        noisy: None,
    };
    for line in report.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", n] => run.requests_per_sec = n.parse()?,
            ["50%", t] => run.p50 = latency(t)?,
            ["99%", t] => run.p99 = latency(t)?,
            [n, "requests", "in", ..] => run.requests = n.parse()?,
            ["Non-2xx", "or", "3xx", "responses:", n] => run.errors += n.parse::<u64>()?,
            ["Socket", "errors:", rest @ ..] => {
                // "connect 0, read 0, write 0, timeout 0"
                run.errors += rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>();
            }
            _ => {}
        }
    }
    if run.requests_per_sec == 0.0 && run.requests > 0 {
        bail!("no Requests/sec line");
    }
    Ok(run)
}

/// wrk's latency: `123.45us`, `1.23ms`, `1.00s`.
fn latency(text: &str) -> anyhow::Result<Duration> {
    let (number, scale) = if let Some(n) = text.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else {
        bail!("latency {text:?} has no unit")
    };
    Ok(Duration::from_secs_f64(number.parse::<f64>()? * scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "Running 1s test @ http://127.0.0.1:18080/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   450.12us  100.00us   2.00ms   90.00%
    Req/Sec   140.00k     1.00k  150.00k    80.00%
  Latency Distribution
     50%  420.00us
     75%  500.00us
     90%  600.00us
     99%    1.20ms
  140000 requests in 1.00s, 12.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec: 139999.50
Transfer/sec:     12.00MB
";

    #[test]
    fn reads_wrk_latency_report() {
        let run = parse(REPORT).unwrap();
        assert_eq!(run.requests, 140_000);
        assert!((run.requests_per_sec - 139_999.5).abs() < 1e-6);
        assert_eq!(run.p50, Duration::from_micros(420));
        assert_eq!(run.p99, Duration::from_micros(1200));
        assert_eq!(run.errors, 7);
    }

    #[test]
    fn latency_units() {
        assert_eq!(latency("1.50s").unwrap(), Duration::from_millis(1500));
        assert_eq!(latency("2.00ms").unwrap(), Duration::from_millis(2));
        assert!(latency("12").is_err());
    }
}
