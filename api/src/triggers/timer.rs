//! The timer trigger: `{"cronExpression", "enable", "payload"}` (fc-api.md §6.1).
//!
//! Each fire becomes an async invocation in the durable queue, with FC's event
//! `{"triggerTime":"<RFC 3339 UTC, seconds>","triggerName","payload"}` and the
//! trigger's qualifier. `enable` defaults to true; `payload` to "" (at most
//! 128 KB, the async payload limit). Timers are reloaded from the store at start;
//! fires missed while the server was down are not made up. A fire starts on a
//! worker while its queue row commits, under a claim that makes it run once
//! across nodes (see [`crate::invoke::fires`]).
//!
//! A stored timer whose `cronExpression` no longer validates (a row written by an
//! older wasm-fc, or by hand) is skipped with a warning naming it and counted in
//! `wasm_fc_trigger_load_errors_total`; it never stops the platform from starting.
//! The scheduler runs under [`crate::invoke::supervise`]: a panic is logged, counted in
//! `wasm_fc_task_panics_total{task="timer-scheduler"}`, and the scheduler restarts
//! from the store.

use std::sync::{Arc, Weak};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::schedule::Schedule;
use super::scheduler::{Fire, FireSink};
use super::{TriggerKey, TriggerType, scheduler};
use crate::control::model::str_of;
use crate::control::resources::Trigger;
use crate::control::store::{ClaimedFire, Kind, QueuedInvocation};
use crate::invoke::MAX_ASYNC_PAYLOAD;
use crate::invoke::invoker::Invoker;
use crate::triggers::platform::Platform;
use serde::Deserialize as _;

/// The scheduler's task name in logs and `wasm_fc_task_panics_total{task}`.
pub const SCHEDULER_TASK: &str = "timer-scheduler";

/// The `timer` trigger type.
#[derive(Debug)]
pub struct TimerTrigger;

impl TriggerType for TimerTrigger {
    fn name(&self) -> &'static str {
        "timer"
    }

    fn validate(&self, config: &Value) -> Result<(), String> {
        let expression = config["cronExpression"]
            .as_str()
            .ok_or("a timer's triggerConfig needs cronExpression (a string)")?;
        let schedule = Schedule::parse(expression, Utc::now()).map_err(|e| e.to_string())?;
        if matches!(schedule, Schedule::Cron { .. }) && schedule.next_after(Utc::now()).is_none() {
            return Err(format!(
                "cronExpression {expression:?} never fires: no date matches it"
            ));
        }
        if !matches!(config["enable"], Value::Bool(_) | Value::Null) {
            return Err("triggerConfig.enable must be true or false".into());
        }
        match &config["payload"] {
            Value::Null => {}
            Value::String(p) if p.len() <= MAX_ASYNC_PAYLOAD => {}
            Value::String(_) => {
                return Err(format!(
                    "triggerConfig.payload is larger than {MAX_ASYNC_PAYLOAD} bytes"
                ));
            }
            _ => return Err("triggerConfig.payload must be a string".into()),
        }
        Ok(())
    }

    fn apply(&self, platform: &Platform, key: &TriggerKey, trigger: Option<&Trigger>) {
        let path = key.path();
        match trigger.map(|trigger| timer_of(key, trigger)) {
            None | Some(Ok(None)) => platform.timers.remove(&path),
            Some(Ok(Some(timer))) => platform.timers.upsert(timer),
            Some(Err(error)) => {
                platform.timers.remove(&path);
                load_error(platform, key, &error);
            }
        }
    }
}

/// A timer trigger's `triggerConfig` (fc-api.md §6.2).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimerConfig {
    /// FC's cron dialect or `@every <duration>` (see [`Schedule`]).
    #[serde(default)]
    pub cron_expression: String,
    /// `false` pauses the timer; absent means on.
    #[serde(default)]
    pub enable: Option<bool>,
    /// The `payload` of every fire's event.
    #[serde(default)]
    pub payload: Option<String>,
}

impl TimerConfig {
    /// Reads a stored trigger's config; a config that does not fit is a load
    /// error of that trigger alone.
    fn of(trigger: &Trigger) -> Result<Self, super::schedule::ScheduleError> {
        Self::deserialize(&trigger.trigger_config).map_err(config_error)
    }
}

/// A stored row or config that is not the shape a timer trigger has.
fn config_error(e: serde_json::Error) -> super::schedule::ScheduleError {
    super::schedule::ScheduleError {
        expression: String::new(),
        reason: format!("the stored trigger does not read as a timer: {e}"),
    }
}

/// The running timer of a stored timer trigger; `None` when it is disabled.
fn timer_of(
    key: &TriggerKey,
    trigger: &Trigger,
) -> Result<Option<scheduler::Timer>, super::schedule::ScheduleError> {
    let config = TimerConfig::of(trigger)?;
    if config.enable == Some(false) {
        return Ok(None);
    }
    let anchor = last_modified(trigger);
    let payload = config.payload.clone().unwrap_or_default();
    let revision = format!(
        "{}|{}|{}|{payload}",
        config.cron_expression,
        anchor.to_rfc3339(),
        trigger.qualifier()
    );
    Ok(Some(scheduler::Timer {
        key: key.path(),
        service: key.service.clone(),
        function: key.function.clone(),
        trigger: key.trigger.clone(),
        qualifier: trigger.qualifier().to_string(),
        payload,
        schedule: schedule_at(&config.cron_expression, anchor)?,
        revision,
    }))
}

/// Logs and counts a stored timer that cannot run; the caller goes on without it.
fn load_error(platform: &Invoker, key: &TriggerKey, error: &super::schedule::ScheduleError) {
    platform.metrics.prometheus.trigger_load_error();
    tracing::warn!(
        service = %key.service,
        function = %key.function,
        trigger = %key.trigger,
        %error,
        "stored timer trigger cannot run; skipped (fix or delete it with UpdateTrigger/DeleteTrigger)"
    );
}

/// Every enabled stored timer. Rows that fail to load are logged, counted and
/// skipped.
async fn stored_timers(
    platform: &Invoker,
) -> Result<Vec<scheduler::Timer>, crate::control::store::StoreError> {
    let rows = platform.store.list_all(Kind::Trigger).await?;
    Ok(rows
        .iter()
        .filter(|row| str_of(row, "triggerType") == "timer")
        .filter_map(|row| {
            let key = TriggerKey {
                service: str_of(row, "_service").to_string(),
                function: str_of(row, "_function").to_string(),
                trigger: str_of(row, "triggerName").to_string(),
            };
            Trigger::deserialize(row)
                .map_err(config_error)
                .and_then(|trigger| timer_of(&key, &trigger))
                .map_err(|error| load_error(platform, &key, &error))
                .ok()
                .flatten()
        })
        .collect())
}

/// When the trigger last changed: intervals are phased from it, so restarts keep
/// the phase. Now, when it has no valid time.
fn last_modified(trigger: &Trigger) -> DateTime<Utc> {
    trigger
        .extra
        .get("lastModifiedTime")
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(Utc::now)
}

fn schedule_at(
    expression: &str,
    anchor: DateTime<Utc>,
) -> Result<Schedule, super::schedule::ScheduleError> {
    Schedule::parse(expression, anchor)
}

/// When a timer trigger (as the API returns it: JSON) fires next; `None` when
/// disabled, invalid or never again.
pub fn next_fire(trigger: &Value, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    next_fires(trigger, now, 1).into_iter().next()
}

/// The next `count` fire times of a timer trigger after `now`; empty when it
/// is disabled or invalid, shorter when it fires fewer times than that.
pub fn next_fires(trigger: &Value, now: DateTime<Utc>, count: usize) -> Vec<DateTime<Utc>> {
    let Ok(trigger) = Trigger::deserialize(trigger) else {
        return Vec::new();
    };
    let Ok(config) = TimerConfig::of(&trigger) else {
        return Vec::new();
    };
    if config.enable == Some(false) {
        return Vec::new();
    }
    let Ok(schedule) = schedule_at(&config.cron_expression, last_modified(&trigger)) else {
        return Vec::new();
    };
    std::iter::successors(schedule.next_after(now), |last| schedule.next_after(*last))
        .take(count)
        .collect()
}

/// How long a reload waits after a change for more to arrive: 50 ms (a deploy
/// of many triggers is one reload, and the coherence bound of 1 s holds).
const RELOAD_SETTLE: std::time::Duration = std::time::Duration::from_millis(50);

/// On a shared store: reloads the timers whenever the store's generation moves
/// (another node's write arrives by LISTEN/NOTIFY), so a timer created,
/// changed or deleted on any node runs, changes or stops here too.
async fn follow_other_nodes(platform: Arc<Platform>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut changes = platform.store.subscribe_remote();
    loop {
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return },
            _ = stop.changed() => return,
        }
        tokio::time::sleep(RELOAD_SETTLE).await;
        changes.borrow_and_update();
        match stored_timers(&platform).await {
            Ok(timers) => platform.timers.replace_all(timers),
            // The running timers stay; the listener's reconnect after the
            // outage moves the generation again, and that reload catches up.
            Err(error) => {
                tracing::warn!(%error, "cannot reload the timers; keeping the running ones")
            }
        }
    }
}

/// FC's timer event.
pub fn event(fire: &Fire) -> Value {
    json!({
        "triggerTime": fire.scheduled.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "triggerName": fire.timer.trigger,
        "payload": fire.timer.payload,
    })
}

/// Turns fires into async invocations that start at once while their rows are
/// committed (one transaction per batch, off the scheduler task), so neither the
/// disk nor the next fire waits for the other.
#[derive(Debug)]
pub struct QueueSink(pub Weak<Invoker>);

impl FireSink for QueueSink {
    fn fire(&self, batch: Vec<Fire>) {
        let Some(platform) = self.0.upgrade() else {
            return;
        };
        let fires: Vec<ClaimedFire> = batch
            .iter()
            .map(|fire| {
                let scheduled_ms = fire.scheduled.timestamp_millis();
                let request_id = uuid::Uuid::new_v4().to_string();
                platform.timer_fires_pending.insert(
                    request_id.clone(),
                    (scheduled_ms, fire.timer.trigger.clone()),
                );
                ClaimedFire {
                    trigger_key: fire.timer.key.clone(),
                    scheduled_ms,
                    invocation: QueuedInvocation {
                        id: 0,
                        request_id,
                        service: fire.timer.service.clone(),
                        qualifier: fire.timer.qualifier.clone(),
                        function: fire.timer.function.clone(),
                        payload: event(fire).to_string().into_bytes(),
                        attempts: 0,
                        not_before_ms: scheduled_ms,
                        enqueued_ms: scheduled_ms,
                        origin: None,
                    },
                }
            })
            .collect();
        crate::invoke::fires::submit_fires(&platform, fires);
    }
}

/// Starts the scheduler task for the platform's timers, under a supervisor: each
/// run (the first, and every restart after a panic) loads the stored timers
/// first. `None` when the platform's scheduler was already started.
pub fn spawn_scheduler(
    platform: &Arc<Platform>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    let scheduler = platform.take_scheduler()?;
    let sink: Arc<dyn FireSink> = Arc::new(QueueSink(Arc::downgrade(&platform.invoker)));
    let weak = Arc::downgrade(&platform.invoker);
    let load: scheduler::Load = Arc::new(move || {
        let weak = weak.clone();
        Box::pin(async move {
            let Some(platform) = weak.upgrade() else {
                return Vec::new();
            };
            // A store that cannot be read gives none (logged); on a shared
            // store the next change reloads them, on one node's the next
            // restart does.
            stored_timers(&platform).await.unwrap_or_else(|error| {
                tracing::error!(%error, "cannot read the stored triggers; no timer will run yet");
                Vec::new()
            })
        })
    });
    if platform.store.is_shared() {
        tokio::spawn(follow_other_nodes(platform.clone(), stop.clone()));
    }
    let panics = platform.metrics.prometheus.task_panics(SCHEDULER_TASK);
    let runs = scheduler.runs(sink, stop.clone(), load);
    Some(crate::invoke::supervise::spawn_supervised(
        SCHEDULER_TASK,
        panics,
        stop,
        runs,
    ))
}
