//! Log triggers (`triggerType: log`, fc-events.md §1.3): every
//! `jobConfig.triggerInterval`, each shard of the source logstore with new
//! entries invokes the function once per range `[beginCursor, endCursor)`,
//! with FC's event plus the range's entries inline ([`event`]). Retries,
//! checkpoints and the execution records are [`job`]'s; which triggers run on
//! this node is [`runner`]'s.

pub mod config;
pub mod event;
pub mod job;
pub mod runner;

use serde_json::Value;

use self::config::{LogTriggerConfig, project_of};
use super::{TriggerKey, TriggerType};
use crate::control::error::{ApiError, ApiResult};
use crate::control::resources::Trigger;
use crate::control::store::Reader;
use crate::triggers::platform::Platform;

/// The `log` trigger type.
#[derive(Debug)]
pub struct LogTrigger;

impl TriggerType for LogTrigger {
    fn name(&self) -> &'static str {
        "log"
    }

    fn validate(&self, config: &Value) -> Result<(), String> {
        LogTriggerConfig::parse(config).map(|_| ())
    }

    fn validate_source_arn(&self, source_arn: Option<&str>) -> Result<(), String> {
        project_of(source_arn).map(|_| ())
    }

    /// A trigger that records its executions into the logstore it reads
    /// would trigger itself forever: refused.
    fn check_in(&self, _tx: &dyn Reader, _key: &TriggerKey, row: &Value) -> ApiResult<()> {
        let config =
            LogTriggerConfig::parse(&row["triggerConfig"]).map_err(ApiError::InvalidArgument)?;
        let project = project_of(row["sourceArn"].as_str()).map_err(ApiError::InvalidArgument)?;
        if config.log_target == Some((project.to_string(), config.logstore.clone())) {
            return Err(ApiError::InvalidArgument(format!(
                "triggerConfig.logConfig names the logstore the trigger reads ({project}/{}): its execution records would trigger it again",
                config.logstore
            )));
        }
        Ok(())
    }

    /// The runner starts, restarts or stops the trigger's job.
    fn apply(&self, platform: &Platform, _key: &TriggerKey, _trigger: Option<&Trigger>) {
        platform.log_jobs.poke();
    }

    /// A deleted trigger's checkpoints go with it.
    fn removed(&self, platform: &Platform, key: &TriggerKey, _row: &Value) {
        let store = platform.store.clone();
        let prefix = job::cursor_prefix(key);
        tokio::spawn(async move {
            if let Err(e) = store.logs(move |b| b.delete_cursors(&prefix)).await {
                tracing::warn!(error = %e, "cannot remove a deleted Log trigger's checkpoints");
            }
        });
    }
}
