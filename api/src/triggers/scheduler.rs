//! The timer scheduler: one task over a min-heap of next fire times. Nothing
//! polls per trigger; the task sleeps until the earliest fire (or a change).
//!
//! Changes arrive on a channel and take effect at once. A replaced or removed
//! timer's heap entries are dropped lazily (their generation no longer matches).
//! Missed fires are not backfilled: after downtime, or when the task falls behind,
//! a timer's next fire is its first one after now.
//!
//! The task is restartable: [`Scheduler`] keeps the command channel behind a lock
//! rather than moving it into one run, and every [`Scheduler::run_from`] rebuilds its
//! heap from the store (its `load` argument) before it takes commands. A change
//! written to the store while the task was down arrives either in that load or as
//! a command after it, so a restarted scheduler ends up where the store is.
//! ([`crate::invoke::supervise`] restarts it after a panic.)

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
    /// What makes two loads of one stored trigger the same timer (its
    /// expression, anchor, qualifier and payload): a reload keeps a timer
    /// whose revision is unchanged as it is, pending fire included.
    pub revision: String,
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

/// The longest single sleep: 1 hour. A far fire (a one-shot years ahead) is reached
/// by sleeping again, and a wall clock that jumps is noticed within the hour.
const MAX_SLEEP: std::time::Duration = std::time::Duration::from_secs(3600);

/// How a run gets the stored timers it starts from (enabled ones only).
pub type Load = Arc<
    dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Vec<Timer>> + Send>>
        + Send
        + Sync,
>;

enum Command {
    Upsert(Timer),
    Remove(String),
    /// Removes every timer whose key starts with the prefix.
    RemovePrefix(String),
    /// Makes the timers exactly these (a reload after other nodes' writes).
    Replace(Vec<Timer>),
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

    /// Makes the running timers exactly `timers`: new and changed ones are
    /// (re)scheduled, missing ones stopped, unchanged ones left as they are.
    pub fn replace_all(&self, timers: Vec<Timer>) {
        let _ = self.commands.send(Command::Replace(timers));
    }

    /// Stops every timer whose key starts with `prefix` (`svc/fn/`).
    pub fn remove_prefix(&self, prefix: &str) {
        let _ = self
            .commands
            .send(Command::RemovePrefix(prefix.to_string()));
    }
}

/// The scheduler task's state: the receiving end of the handles' channel, shared
/// by successive runs (one at a time), so a restarted run keeps the changes sent
/// while the previous one was down. Cheap to clone.
#[derive(Clone)]
pub struct Scheduler {
    commands: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Command>>>,
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
        Scheduler {
            commands: Arc::new(tokio::sync::Mutex::new(receiver)),
        },
    )
}

impl Scheduler {
    /// Runs once, with no stored timers (only those the handles send), until
    /// every handle is dropped or `stop` changes. See [`Scheduler::run_from`].
    pub async fn run(self, sink: Arc<dyn FireSink>, stop: tokio::sync::watch::Receiver<bool>) {
        self.run_from(
            sink,
            stop,
            Arc::new(|| Box::pin(std::future::ready(Vec::new()))),
        )
        .await;
    }

    /// The runs a supervisor starts (the first, and one after every panic): each
    /// is [`Scheduler::run_from`] on a clone, sharing the command channel.
    pub fn runs(
        &self,
        sink: Arc<dyn FireSink>,
        stop: tokio::sync::watch::Receiver<bool>,
        load: Load,
    ) -> impl FnMut() -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send + 'static {
        let scheduler = self.clone();
        move || {
            let (scheduler, sink, stop, load) =
                (scheduler.clone(), sink.clone(), stop.clone(), load.clone());
            Box::pin(async move { scheduler.run_from(sink, stop, load).await })
        }
    }

    /// Loads the stored timers with `load`, then runs until every handle is dropped
    /// or `stop` changes. Can be called again after a run ended or panicked.
    pub async fn run_from(
        &self,
        sink: Arc<dyn FireSink>,
        mut stop: tokio::sync::watch::Receiver<bool>,
        load: Load,
    ) {
        // A panicked run's guard was dropped while it unwound: tokio's lock is free.
        let mut commands = self.commands.clone().lock_owned().await;
        let mut state = State::default();
        for timer in load().await {
            state.upsert(timer);
        }
        loop {
            // Wake a little early and finish on the clock: tokio's timer rounds a
            // sleep up to its next 1 ms tick, which would be lag on every fire.
            let sleep_for = state.heap.peek().map(|Reverse((at, _, _))| {
                at.signed_duration_since(Utc::now())
                    .to_std()
                    .unwrap_or_default()
                    .saturating_sub(EARLY_WAKE)
                    .min(MAX_SLEEP)
            });
            tokio::select! {
                command = commands.recv() => {
                    let Some(command) = command else { break };
                    state.apply(command);
                }
                _ = tokio::time::sleep(sleep_for.unwrap_or_default()), if sleep_for.is_some() => {
                    if let Some(Reverse((at, _, _))) = state.heap.peek() {
                        // Not within the early wake yet (a capped sleep, or the
                        // clock moved back): sleep again.
                        let left = at.signed_duration_since(Utc::now());
                        if left.to_std().is_ok_and(|left| left > EARLY_WAKE) {
                            continue;
                        }
                        while Utc::now() < *at {
                            tokio::task::yield_now().await;
                        }
                    }
                    let now = Utc::now();
                    let batch = due(&mut state.heap, &state.timers, now);
                    if !batch.is_empty() {
                        // Deliver first; computing next times can wait.
                        sink.fire(batch.clone());
                        reschedule(&mut state.heap, &state.timers, &batch, now);
                    }
                }
                _ = stop.changed() => break,
            }
        }
    }
}

type Heap = BinaryHeap<Reverse<(DateTime<Utc>, u64, String)>>;

/// One run's timers and their next fire times.
#[derive(Default)]
struct State {
    timers: HashMap<String, (u64, Arc<Timer>)>,
    heap: Heap,
    generation: u64,
}

impl State {
    fn apply(&mut self, command: Command) {
        match command {
            Command::Upsert(timer) => self.upsert(timer),
            Command::Remove(key) => {
                self.timers.remove(&key);
            }
            Command::RemovePrefix(prefix) => {
                self.timers.retain(|key, _| !key.starts_with(&prefix));
            }
            Command::Replace(timers) => {
                let keep: std::collections::HashSet<String> =
                    timers.iter().map(|t| t.key.clone()).collect();
                self.timers.retain(|key, _| keep.contains(key));
                for timer in timers {
                    let unchanged = self
                        .timers
                        .get(&timer.key)
                        .is_some_and(|(_, running)| running.revision == timer.revision);
                    if !unchanged {
                        self.upsert(timer);
                    }
                }
            }
        }
    }

    fn upsert(&mut self, timer: Timer) {
        self.generation += 1;
        match timer.schedule.next_after(Utc::now()) {
            Some(at) => self
                .heap
                .push(Reverse((at, self.generation, timer.key.clone()))),
            None => no_next_fire(&timer, Utc::now()),
        }
        self.timers
            .insert(timer.key.clone(), (self.generation, Arc::new(timer)));
    }
}

/// Pops every due entry and returns the live ones (removed or replaced timers'
/// entries are dropped here).
fn due(
    heap: &mut Heap,
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
    heap: &mut Heap,
    timers: &HashMap<String, (u64, Arc<Timer>)>,
    fired: &[Fire],
    now: DateTime<Utc>,
) {
    for fire in fired {
        let key = &fire.timer.key;
        let Some((generation, timer)) = timers.get(key) else {
            continue;
        };
        let after = fire.scheduled.max(now);
        match timer.schedule.next_after(after) {
            Some(next) => heap.push(Reverse((next, *generation, key.clone()))),
            None => no_next_fire(timer, after),
        }
    }
}

/// A timer without a next fire stays stopped (never a panic). A one-shot's is
/// the normal end; for the repeating forms it means the next time is out of
/// range (past chrono's last date, or a cron past its last year), so it is a warning.
fn no_next_fire(timer: &Timer, after: DateTime<Utc>) {
    if matches!(timer.schedule, Schedule::Once(_)) {
        tracing::debug!(trigger = %timer.key, "one-shot timer has fired or is past");
    } else {
        tracing::warn!(
            service = %timer.service,
            function = %timer.function,
            trigger = %timer.trigger,
            %after,
            "timer has no fire time after this one (out of range); it will not fire again"
        );
    }
}

#[cfg(test)]
#[path = "scheduler_tests.rs"]
mod tests;
