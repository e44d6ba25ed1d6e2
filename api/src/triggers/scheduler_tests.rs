use super::*;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use chrono::TimeDelta;
use prometheus_client::metrics::counter::Counter;
use tokio::sync::watch;

use crate::invoke::supervise::{Backoff, supervise};

const QUICK: Backoff = Backoff {
    first: Duration::from_millis(1),
    max: Duration::from_millis(4),
};

/// A bound on waiting for a fire, not a timing claim: fires are due in ~20 ms.
const PATIENCE: Duration = Duration::from_secs(30);

fn timer(key: &str, schedule: Schedule) -> Timer {
    Timer {
        key: key.to_string(),
        service: "svc".into(),
        function: "fn".into(),
        trigger: key.rsplit('/').next().unwrap_or(key).to_string(),
        qualifier: "LATEST".into(),
        payload: String::new(),
        schedule,
        revision: String::new(),
    }
}

fn soon() -> Schedule {
    Schedule::Once(Utc::now() + TimeDelta::milliseconds(20))
}

/// Sends every fired key; panics on its first `panics` batches.
struct Sink {
    panics: AtomicU32,
    fired: mpsc::UnboundedSender<String>,
}

impl FireSink for Sink {
    fn fire(&self, batch: Vec<Fire>) {
        let left = self.panics.load(Ordering::SeqCst);
        if left > 0 {
            self.panics.store(left - 1, Ordering::SeqCst);
            panic!("scheduler test: the sink panics on purpose");
        }
        for fire in batch {
            let _ = self.fired.send(fire.timer.key.clone());
        }
    }
}

/// Runs `scheduler` under a supervisor with `load` and a sink that panics
/// `panics` times; returns the fired keys, the panic counter and the stop switch.
fn start(
    scheduler: Scheduler,
    load: Load,
    panics: u32,
) -> (
    mpsc::UnboundedReceiver<String>,
    Counter,
    watch::Sender<bool>,
    tokio::task::JoinHandle<()>,
) {
    let (fired, fired_rx) = mpsc::unbounded_channel();
    let sink: Arc<dyn FireSink> = Arc::new(Sink {
        panics: AtomicU32::new(panics),
        fired,
    });
    let counter = Counter::default();
    let (stop_tx, stop) = watch::channel(false);
    let runs = scheduler.runs(sink, stop.clone(), load);
    let supervisor = tokio::spawn(supervise(
        "timer-scheduler",
        counter.clone(),
        stop,
        QUICK,
        runs,
    ));
    (fired_rx, counter, stop_tx, supervisor)
}

async fn next_fire(fired: &mut mpsc::UnboundedReceiver<String>) -> String {
    tokio::time::timeout(PATIENCE, fired.recv())
        .await
        .expect("a fire within the bound")
        .expect("the sink is alive")
}

#[tokio::test]
async fn a_panicked_scheduler_restarts_from_the_store_and_keeps_its_handle() {
    let (handle, scheduler) = channel();
    let loads = Arc::new(AtomicU32::new(0));
    let load: Load = {
        let loads = loads.clone();
        Arc::new(move || {
            loads.fetch_add(1, Ordering::SeqCst);
            Box::pin(std::future::ready(vec![timer("svc/fn/stored", soon())]))
        })
    };
    let (mut fired, panics, stop, supervisor) = start(scheduler, load, 1);
    // The first run's fire panics the task; the second run reloads and fires.
    assert_eq!(next_fire(&mut fired).await, "svc/fn/stored");
    assert_eq!(panics.get(), 1);
    assert_eq!(loads.load(Ordering::SeqCst), 2, "each run loads the store");
    // The API's handle still reaches the restarted scheduler.
    handle.upsert(timer("svc/fn/new", soon()));
    assert_eq!(next_fire(&mut fired).await, "svc/fn/new");
    stop.send(true).unwrap();
    supervisor.await.unwrap();
}

#[tokio::test]
async fn a_timer_past_chronos_range_stops_alone() {
    let (_handle, scheduler) = channel();
    let end_of_time = DateTime::<Utc>::MAX_UTC;
    let load: Load = Arc::new(move || {
        let every_year = |anchor| Schedule::parse("@every 8784h", anchor).expect("valid");
        Box::pin(std::future::ready(vec![
            // Its first fire would be past chrono's last date: "never", not an
            // overflow (the old `anchor + step` panicked here).
            timer(
                "svc/fn/overflow",
                every_year(end_of_time - TimeDelta::days(1)),
            ),
            // Its first fire is a second before the end: a sleep of ~260,000 years.
            timer(
                "svc/fn/far",
                every_year(end_of_time - TimeDelta::days(366) - TimeDelta::seconds(1)),
            ),
            timer("svc/fn/normal", soon()),
        ]))
    });
    let (mut fired, panics, stop, supervisor) = start(scheduler, load, 0);
    assert_eq!(next_fire(&mut fired).await, "svc/fn/normal");
    assert_eq!(panics.get(), 0);
    stop.send(true).unwrap();
    supervisor.await.unwrap();
}
