//! Which Log triggers run on this node: every enabled one (the shard
//! checkpoints' leases in [`super::job`] let one node at a time deliver a
//! shard, so several nodes share the work and a stopped node hands its
//! shards over). Reconciled by [`crate::triggers::jobs`].

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::watch;

use super::config::{LogTriggerConfig, project_of};
use super::job::Job;
use crate::control::model::str_of;
use crate::triggers::TriggerKey;
use crate::triggers::jobs::{self, Wanted};
use crate::triggers::platform::Platform;

/// Runs the Log trigger jobs until `shutdown`.
pub fn spawn(p: &Arc<Platform>, shutdown: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    jobs::spawn(p, |p| &p.log_jobs, wanted, shutdown)
}

fn wanted(p: &Arc<Platform>, rows: &[Value]) -> Vec<Wanted> {
    let mut out = Vec::new();
    for row in rows.iter().filter(|r| str_of(r, "triggerType") == "log") {
        let (Ok(config), Ok(project)) = (
            LogTriggerConfig::parse(&row["triggerConfig"]),
            project_of(row["sourceArn"].as_str()),
        ) else {
            continue;
        };
        if !config.enabled {
            continue;
        }
        let key = TriggerKey {
            service: str_of(row, "_service").to_string(),
            function: str_of(row, "_function").to_string(),
            trigger: str_of(row, "triggerName").to_string(),
        };
        let qualifier = crate::triggers::qualifier_of(&row["qualifier"]).to_string();
        let job = Job {
            platform: p.clone(),
            key,
            qualifier,
            project: project.to_string(),
            config,
        };
        out.push(Wanted {
            path: job.key.path(),
            fingerprint: format!("{}|{}|{project}", row["triggerConfig"], job.qualifier),
            start: Box::new(move |stop| tokio::spawn(job.run(stop))),
        });
    }
    out
}
