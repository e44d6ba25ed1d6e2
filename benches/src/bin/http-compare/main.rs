//! `benches/http-compare`: wasm-fc's HTTP trigger side by side with what a user
//! would pick instead, on the same hello `wasi:http` component and the same
//! machine, in the same run:
//!
//! - `hyper`: a minimal hyper server (`hyper-hello`), the raw floor;
//! - `serve`: `wasmtime serve -S cli` 48.0.8 (a fresh instance per request, its default);
//! - `serve-reuse`: the same with `--max-instance-reuse-count 128`;
//! - `wasm-fc`: an anonymous HTTP trigger, warm instances reused (FC semantics);
//! - `wasm-fc-fresh`: the same with `--max-instance-reuse-count 1` (strict isolation).
//!
//! Each server runs pinned to CPU 0 and wrk (`-t1`) to CPU 1, at every
//! concurrency asked (default 64 and 1), in interleaved rounds (default 3). It
//! prints req/s and p50/p99 per server (median over rounds), the ratios to hyper
//! and to `wasmtime serve`, and the goals as met or not. A run during
//! which another process used CPU is marked noisy and left out of the medians when
//! clean runs exist. Timing never changes the exit status; a server that does not
//! start or answers anything but `200 hello` does.

mod noise;
mod report;
mod servers;
mod wrk;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;

/// Side-by-side HTTP throughput and latency: hyper, wasmtime serve, wasm-fc.
#[derive(Debug, Parser)]
struct Args {
    /// Rounds; each runs every server once, in turn.
    #[arg(long, default_value_t = 3)]
    rounds: u32,
    /// Seconds per measured wrk run (each is preceded by a 1 s warm-up).
    #[arg(long, default_value_t = 6)]
    duration: u64,
    /// wrk connection counts to measure at.
    #[arg(long, value_delimiter = ',', default_value = "64,1")]
    connections: Vec<u32>,
    /// CI's smoke run: 1 round of 1 s runs. Proves that everything builds,
    /// starts and answers; its numbers mean little.
    #[arg(long)]
    smoke: bool,
    /// Only these servers (comma-separated names from the list above).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Where wasmtime-cli 48.0.8 lives (`<root>/bin/wasmtime`); installed there
    /// with `cargo install` when missing. Default: `target/wasmtime-cli`.
    #[arg(long)]
    wasmtime_root: Option<PathBuf>,
    /// Write every run and the summary as JSON here. Default:
    /// `target/http-compare/results.json`.
    #[arg(long)]
    json: Option<PathBuf>,
    /// The port the servers listen on (one at a time).
    #[arg(long, default_value_t = 18_080)]
    port: u16,
}

fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    if args.smoke {
        args.rounds = 1;
        args.duration = 1;
    }
    let bin_dir = std::env::current_exe()?
        .parent()
        .context("the driver's directory")?
        .to_path_buf();
    // target/<profile>/http-compare → target/
    let target_dir = bin_dir
        .parent()
        .context("the target directory")?
        .to_path_buf();
    let work = target_dir.join("http-compare");
    std::fs::create_dir_all(&work)?;
    let wasmtime_root = args
        .wasmtime_root
        .clone()
        .unwrap_or_else(|| target_dir.join("wasmtime-cli"));
    let wants_serve = args.only.is_empty() || args.only.iter().any(|o| o.starts_with("serve"));
    let wasmtime = if wants_serve {
        servers::ensure_wasmtime(&wasmtime_root)?
    } else {
        wasmtime_root.join("bin").join("wasmtime")
    };
    wrk::check_installed()?;
    let component = PathBuf::from(wasm_fc_test_guests::BENCH_HELLO);
    let servers = servers::all(&bin_dir, &wasmtime, &component, &work, args.port)?
        .into_iter()
        .filter(|s| args.only.is_empty() || args.only.iter().any(|o| o == s.name))
        .collect::<Vec<_>>();
    anyhow::ensure!(
        !servers.is_empty(),
        "no server matches --only {:?}",
        args.only
    );
    let pin = noise::cpus() >= 2;
    if !pin {
        eprintln!("warning: fewer than 2 CPUs; servers and wrk are not pinned");
    }
    let plan = report::Plan {
        rounds: args.rounds,
        duration: Duration::from_secs(args.duration),
        connections: args.connections.clone(),
        pinned: pin,
    };
    eprintln!(
        "http-compare: {} servers x {:?} connections x {} rounds of {} s (+1 s warm-up each)",
        servers.len(),
        plan.connections,
        plan.rounds,
        args.duration
    );
    let mut runs = Vec::new();
    for round in 1..=args.rounds {
        for server in &servers {
            let running = server
                .start(pin)
                .with_context(|| format!("starting {}", server.name))?;
            for &connections in &args.connections {
                let run = wrk::measure(&running, connections, plan.duration, pin, round)
                    .with_context(|| format!("{} at c={connections}", server.name))?;
                eprintln!("  {}", run.summary());
                runs.push(run);
            }
            running.stop();
        }
    }
    let table = report::summarize(&plan, &runs);
    println!("{}", table.text());
    let json = args.json.unwrap_or_else(|| work.join("results.json"));
    std::fs::write(&json, serde_json::to_vec_pretty(&table.json(&runs))?)?;
    eprintln!("results: {}", json.display());
    let failed: Vec<String> = runs
        .iter()
        .filter(|r| r.errors > 0 || r.requests == 0)
        .map(|r| r.summary())
        .collect();
    anyhow::ensure!(
        failed.is_empty(),
        "runs with errors or no requests:\n{}",
        failed.join("\n")
    );
    Ok(())
}
