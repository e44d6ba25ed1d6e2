//! [`Platform`]: everything below the web layer, as the HTTP handlers and the
//! composition root see it: the [`Invoker`] (which holds the control plane)
//! plus the running triggers (the timer scheduler and the HTTP route table).
//! It derefs to the [`Invoker`], and through it to the `ControlPlane`.

use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::http_routes::HttpRoutes;
use super::scheduler::{Scheduler, SchedulerHandle};
use crate::invoke::invoker::Invoker;

/// The running platform.
pub struct Platform {
    pub invoker: Arc<Invoker>,
    /// Changes the running timers.
    pub timers: SchedulerHandle,
    /// The scheduler task, until the server starts it.
    scheduler: Mutex<Option<Scheduler>>,
    /// What HTTP-trigger paths resolve to, while the store is unchanged.
    pub http_routes: HttpRoutes,
    /// Matches object events to OSS triggers (the embedded store's and other
    /// stores' notifications).
    pub oss_events: super::oss::OssEvents,
    /// The bearer token of `POST /_wasm-fc/oss/notifications` (derived from
    /// the platform's secret at start; see `Credentials::notification_token`).
    pub notification_token: std::sync::OnceLock<String>,
    /// The message brokers this node consumes from (`wasm-fc run --broker`);
    /// set once at start, empty until then.
    pub brokers_config: std::sync::OnceLock<super::brokers::Brokers>,
    /// The PostgreSQL databases TableStore triggers read (`wasm-fc run
    /// --table-instance`); set once at start.
    pub table_instances_config: std::sync::OnceLock<super::tablestore::instances::TableInstances>,
    /// The broker triggers' streams running on this node.
    pub streams: super::eventbridge::streams::Streams,
    /// The Log trigger jobs running on this node.
    pub log_jobs: super::jobs::TriggerJobs,
    /// The TableStore trigger jobs running on this node.
    pub table_jobs: super::jobs::TriggerJobs,
    /// `/readyz`: set once the platform serves (and its manifest, if any, is deployed).
    ready: AtomicBool,
}

impl Deref for Platform {
    type Target = Invoker;

    fn deref(&self) -> &Invoker {
        &self.invoker
    }
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform")
            .field("invoker", &self.invoker)
            .finish_non_exhaustive()
    }
}

impl Platform {
    pub fn new(invoker: Arc<Invoker>) -> Self {
        let (timers, scheduler) = super::scheduler::channel();
        Self {
            invoker,
            timers,
            scheduler: Mutex::new(Some(scheduler)),
            http_routes: HttpRoutes::default(),
            oss_events: super::oss::OssEvents::default(),
            notification_token: std::sync::OnceLock::new(),
            brokers_config: std::sync::OnceLock::new(),
            table_instances_config: std::sync::OnceLock::new(),
            streams: Default::default(),
            log_jobs: super::jobs::TriggerJobs::new("Log trigger"),
            table_jobs: super::jobs::TriggerJobs::new("TableStore trigger"),
            ready: AtomicBool::new(false),
        }
    }

    /// The TableStore instances of this node (none unless `--table-instance`
    /// named some).
    pub fn table_instances(&self) -> &super::tablestore::instances::TableInstances {
        static NONE: std::sync::OnceLock<super::tablestore::instances::TableInstances> =
            std::sync::OnceLock::new();
        self.table_instances_config
            .get()
            .unwrap_or_else(|| NONE.get_or_init(Default::default))
    }

    /// The brokers of this node (none unless `--broker` named some).
    pub fn brokers(&self) -> &super::brokers::Brokers {
        static NONE: std::sync::OnceLock<super::brokers::Brokers> = std::sync::OnceLock::new();
        self.brokers_config
            .get()
            .unwrap_or_else(|| NONE.get_or_init(Default::default))
    }

    /// Marks the platform ready (`/readyz` answers 200).
    pub fn mark_ready(&self) {
        self.ready.store(true, Ordering::Release);
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// The scheduler task's state; `None` once taken (it runs once per platform).
    pub fn take_scheduler(&self) -> Option<Scheduler> {
        self.scheduler.lock().ok()?.take()
    }
}
