//! The timer scheduler: one task over a min-heap of next fire times. Nothing
//! polls per trigger; the task sleeps until the earliest fire (or a change).
//!
//! Changes arrive on a channel and take effect at once. A replaced or removed
//! timer's heap entries are dropped lazily (their generation no longer matches).
//! Missed fires are not backfilled: after downtime, or when the task falls behind,
//! a timer's next fire is its first one after now.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use super::schedule::Schedule;

/// One timer, as the scheduler runs it.
#[derive(Debug, Clone)]
pub struct Timer {
    /// `service/function/trigger`, unique.
    pub key: String,
    pub service: String,
    pub function: String,
    pub trigger: String,
    pub qualifier: String,
    pub payload: String,
    pub schedule: Schedule,
}

/// A timer firing at its scheduled time.
#[derive(Debug, Clone)]
pub struct Fire {
    pub timer: Arc<Timer>,
    pub scheduled: DateTime<Utc>,
}

/// Where fires go (the platform enqueues async invocations; benches record lag).
/// Called from the scheduler task: it must not block.
pub trait FireSink: Send + Sync + 'static {
    fn fire(&self, batch: Vec<Fire>);
}

/// How much earlier than a fire the task wakes, to finish on the clock (≈ tokio's
/// 1 ms timer tick plus scheduling slack). The wait is at most this long per fire time.
const EARLY_WAKE: std::time::Duration = std::time::Duration::from_micros(1500);

enum Command {
    Upsert(Timer),
    Remove(String),
    /// Removes every timer whose key starts with the prefix.
    RemovePrefix(String),
}

/// The handle the API uses to change timers. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SchedulerHandle {
    commands: mpsc::UnboundedSender<Command>,
}

impl SchedulerHandle {
    /// Adds or replaces a timer; its next fire is computed from now.
    pub fn upsert(&self, timer: Timer) {
        let _ = self.commands.send(Command::Upsert(timer));
    }

    /// Stops a timer (unknown keys are ignored).
    pub fn remove(&self, key: &str) {
        let _ = self.commands.send(Command::Remove(key.to_string()));
    }

    /// Stops every timer whose key starts with `prefix` (`svc/fn/`).
    pub fn remove_prefix(&self, prefix: &str) {
        let _ = self
            .commands
            .send(Command::RemovePrefix(prefix.to_string()));
    }
}

/// The scheduler task's state, before it runs.
pub struct Scheduler {
    commands: mpsc::UnboundedReceiver<Command>,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scheduler")
    }
}

/// A new scheduler and its handle. Changes sent before [`Scheduler::run`] starts are kept.
pub fn channel() -> (SchedulerHandle, Scheduler) {
    let (commands, receiver) = mpsc::unbounded_channel();
    (
        SchedulerHandle { commands },
        Scheduler { commands: receiver },
    )
}

impl Scheduler {
    /// Runs until every handle is dropped or `stop` changes.
    pub async fn run(
        mut self,
        sink: Arc<dyn FireSink>,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut timers: HashMap<String, (u64, Arc<Timer>)> = HashMap::new();
        let mut heap: BinaryHeap<Reverse<(DateTime<Utc>, u64, String)>> = BinaryHeap::new();
        let mut generation = 0u64;
        loop {
            // Wake a little early and finish on the clock: tokio's timer rounds a
            // sleep up to its next 1 ms tick, which would be lag on every fire.
            let sleep_for = heap.peek().map(|Reverse((at, _, _))| {
                (*at - Utc::now())
                    .to_std()
                    .unwrap_or_default()
                    .saturating_sub(EARLY_WAKE)
            });
            tokio::select! {
                command = self.commands.recv() => {
                    let Some(command) = command else { break };
                    match command {
                        Command::Upsert(timer) => {
                            generation += 1;
                            if let Some(at) = timer.schedule.next_after(Utc::now()) {
                                heap.push(Reverse((at, generation, timer.key.clone())));
                            }
                            timers.insert(timer.key.clone(), (generation, Arc::new(timer)));
                        }
                        Command::Remove(key) => {
                            timers.remove(&key);
                        }
                        Command::RemovePrefix(prefix) => {
                            timers.retain(|key, _| !key.starts_with(&prefix));
                        }
                    }
                }
                _ = tokio::time::sleep(sleep_for.unwrap_or_default()), if sleep_for.is_some() => {
                    if let Some(Reverse((at, _, _))) = heap.peek() {
                        while Utc::now() < *at {
                            tokio::task::yield_now().await;
                        }
                    }
                    let now = Utc::now();
                    let batch = due(&mut heap, &timers, now);
                    if !batch.is_empty() {
                        // Deliver first; computing next times can wait.
                        sink.fire(batch.clone());
                        reschedule(&mut heap, &timers, &batch, now);
                    }
                }
                _ = stop.changed() => break,
            }
        }
    }
}

/// Pops every due entry and returns the live ones (removed or replaced timers'
/// entries are dropped here).
fn due(
    heap: &mut BinaryHeap<Reverse<(DateTime<Utc>, u64, String)>>,
    timers: &HashMap<String, (u64, Arc<Timer>)>,
    now: DateTime<Utc>,
) -> Vec<Fire> {
    let mut batch = Vec::new();
    while let Some(Reverse((at, _, _))) = heap.peek() {
        if *at > now {
            break;
        }
        let Some(Reverse((at, entry_generation, key))) = heap.pop() else {
            break;
        };
        match timers.get(&key) {
            Some((generation, timer)) if *generation == entry_generation => batch.push(Fire {
                timer: timer.clone(),
                scheduled: at,
            }),
            _ => {} // removed or replaced
        }
    }
    batch
}

/// Pushes each fired timer's next time. No backfill: the next fire after both the
/// one just made and now.
fn reschedule(
    heap: &mut BinaryHeap<Reverse<(DateTime<Utc>, u64, String)>>,
    timers: &HashMap<String, (u64, Arc<Timer>)>,
    fired: &[Fire],
    now: DateTime<Utc>,
) {
    for fire in fired {
        let key = &fire.timer.key;
        if let Some((generation, timer)) = timers.get(key)
            && let Some(next) = timer.schedule.next_after(fire.scheduled.max(now))
        {
            heap.push(Reverse((next, *generation, key.clone())));
        }
    }
}
