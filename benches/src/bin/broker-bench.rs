//! The RabbitMQ side of `benches/brokers`: a publisher, and the floor the
//! platform is measured against, a plain lapin consumer that acknowledges
//! each message and does nothing else.
//!
//! ```text
//! broker-bench publish --uri amqp://guest:guest@127.0.0.1:5672/vh --queue q --count N [--rate R]
//! broker-bench floor   --uri … --queue q --count N [--prefetch P] [--ack-every K]
//! ```
//!
//! Messages are `{"seq": i, "sent_us": <µs since the epoch when sent>}`. The
//! publisher declares the queue (durable) and waits for the broker's
//! confirms; with `--rate` it paces itself. The floor prints JSON:
//! `{"messages", "seconds", "per_s", "lag_p50_us", "lag_p99_us"}`, the lag
//! being from `sent_us` to the message's arrival.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use futures_util::StreamExt as _;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};

#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Publish {
        #[arg(long)]
        uri: String,
        #[arg(long)]
        queue: String,
        #[arg(long)]
        count: u64,
        /// Messages per second; none: as fast as the broker confirms.
        #[arg(long)]
        rate: Option<f64>,
    },
    Floor {
        #[arg(long)]
        uri: String,
        #[arg(long)]
        queue: String,
        #[arg(long)]
        count: u64,
        #[arg(long, default_value_t = 200)]
        prefetch: u16,
        /// Acknowledge every Nth message with `multiple` (1: each message
        /// on its own, the plain consumer); the rest of a batch is acknowledged with it.
        #[arg(long, default_value_t = 1)]
        ack_every: u64,
    },
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

async fn publish(uri: &str, queue: &str, count: u64, rate: Option<f64>) -> anyhow::Result<()> {
    let connection = Connection::connect(uri, ConnectionProperties::default()).await?;
    let channel = connection.create_channel().await?;
    channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    let start = Instant::now();
    let mut confirms = Vec::new();
    for seq in 0..count {
        if let Some(rate) = rate {
            let due = start + Duration::from_secs_f64(seq as f64 / rate);
            tokio::time::sleep_until(due.into()).await;
        }
        let body = format!("{{\"seq\":{seq},\"sent_us\":{}}}", now_us());
        confirms.push(
            channel
                .basic_publish(
                    "".into(),
                    queue.into(),
                    BasicPublishOptions::default(),
                    body.as_bytes(),
                    BasicProperties::default(),
                )
                .await?,
        );
        // Bound the confirms in flight.
        if confirms.len() >= 1000 {
            for c in confirms.drain(..) {
                c.await?;
            }
        }
    }
    for c in confirms {
        c.await?;
    }
    println!(
        "{{\"published\":{count},\"seconds\":{:.3}}}",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn floor(
    uri: &str,
    queue: &str,
    count: u64,
    prefetch: u16,
    ack_every: u64,
) -> anyhow::Result<()> {
    let connection = Connection::connect(uri, ConnectionProperties::default()).await?;
    let channel = connection.create_channel().await?;
    channel
        .basic_qos(prefetch, BasicQosOptions::default())
        .await?;
    let start = Instant::now();
    let mut consumer = channel
        .basic_consume(
            queue.into(),
            "broker-bench-floor".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let mut lags = Vec::with_capacity(count as usize);
    let mut seen = 0;
    while seen < count {
        let delivery = consumer.next().await.context("the consumer ended")??;
        let arrived = now_us();
        let body: serde_json::Value = serde_json::from_slice(&delivery.data)?;
        if let Some(sent) = body["sent_us"].as_u64() {
            lags.push(arrived.saturating_sub(sent));
        }
        seen += 1;
        if seen % ack_every.max(1) == 0 || seen == count {
            delivery
                .ack(BasicAckOptions {
                    multiple: ack_every > 1,
                })
                .await?;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    lags.sort_unstable();
    let pct = |q: f64| {
        lags.get(((lags.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0)
    };
    println!(
        "{{\"messages\":{count},\"seconds\":{seconds:.4},\"per_s\":{:.1},\"lag_p50_us\":{},\"lag_p99_us\":{}}}",
        count as f64 / seconds,
        pct(0.5),
        pct(0.99)
    );
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    match Args::parse().command {
        Command::Publish {
            uri,
            queue,
            count,
            rate,
        } => publish(&uri, &queue, count, rate).await,
        Command::Floor {
            uri,
            queue,
            count,
            prefetch,
            ack_every,
        } => floor(&uri, &queue, count, prefetch, ack_every).await,
    }
}
