//! OSS triggers (`triggerType: oss`): the embedded object store's events,
//! and S3-style notifications from other stores (MinIO, Ceph RGW; see
//! [`notifications`]), delivered to the functions whose triggers match.
//!
//! The store hands each object event to [`OssEvents`]. It finds the OSS
//! triggers whose `sourceArn` names the event's bucket and whose `events` and
//! `filter.key` match it, builds FC's OSS event ([`event::oss_event`]) and
//! delivers it through the event-source core ([`crate::triggers::sources`]).
//! The triggers are read from the store and kept while the store generation
//! is unchanged, so a change made on any node applies to the next event.

pub mod config;
pub mod event;
pub mod notifications;

use std::sync::{Arc, Mutex, Weak};

use serde_json::Value;
use wasm_fc_objectstore::ObjectEvent;
use wasm_fc_objectstore::event::{SinkError, SinkFuture};

use self::config::{MAX_TRIGGERS_PER_BUCKET, OssConfig, bucket_of};
use super::{TriggerKey, TriggerType};
use crate::control::error::{ApiError, ApiResult};
use crate::control::model::str_of;
use crate::control::store::{Kind, Reader};
use crate::triggers::platform::Platform;
use crate::triggers::sources::{self, Delivery};

/// The `oss` trigger type.
#[derive(Debug)]
pub struct OssTrigger;

impl TriggerType for OssTrigger {
    fn name(&self) -> &'static str {
        "oss"
    }

    fn validate(&self, config: &Value) -> Result<(), String> {
        OssConfig::parse(config).map(|_| ())
    }

    fn validate_source_arn(&self, source_arn: Option<&str>) -> Result<(), String> {
        bucket_of(source_arn).map(|_| ())
    }

    /// FC's bucket rules, in the transaction that writes `row`: at most
    /// [`MAX_TRIGGERS_PER_BUCKET`] OSS triggers per bucket, and none whose
    /// events and key filters overlap this one's.
    fn check_in(&self, tx: &dyn Reader, key: &TriggerKey, row: &Value) -> ApiResult<()> {
        let bucket = bucket_of(row["sourceArn"].as_str()).map_err(ApiError::InvalidArgument)?;
        let mine = OssConfig::parse(&row["triggerConfig"]).map_err(ApiError::InvalidArgument)?;
        let mut on_bucket = 1;
        for other in tx.list_all(Kind::Trigger)? {
            if str_of(&other, "triggerType") != "oss"
                || bucket_of(other["sourceArn"].as_str()).ok().as_deref() != Some(&bucket)
            {
                continue;
            }
            let other_key = row_key(&other);
            if other_key == *key {
                continue;
            }
            on_bucket += 1;
            if on_bucket > MAX_TRIGGERS_PER_BUCKET {
                return Err(ApiError::InvalidArgument(format!(
                    "the bucket {bucket:?} already has {MAX_TRIGGERS_PER_BUCKET} OSS triggers (FC's limit), among them {}",
                    other_key.path()
                )));
            }
            if let Ok(theirs) = OssConfig::parse(&other["triggerConfig"])
                && theirs.overlaps(&mine)
            {
                return Err(ApiError::InvalidArgument(format!(
                    "the OSS trigger {} on bucket {bucket:?} already takes some of these events for overlapping keys (events {:?}, prefix {:?}, suffix {:?}); two triggers on one bucket may not overlap",
                    other_key.path(),
                    theirs.events,
                    theirs.prefix,
                    theirs.suffix
                )));
            }
        }
        Ok(())
    }
}

/// Which trigger a stored row is.
fn row_key(row: &Value) -> TriggerKey {
    TriggerKey {
        service: str_of(row, "_service").to_string(),
        function: str_of(row, "_function").to_string(),
        trigger: str_of(row, "triggerName").to_string(),
    }
}

/// One OSS trigger as events are matched against it.
#[derive(Debug, Clone)]
struct Route {
    key: TriggerKey,
    qualifier: String,
    bucket: String,
    config: OssConfig,
}

/// The OSS triggers, read at a store generation.
#[derive(Debug, Default)]
struct Routes {
    generation: Option<u64>,
    routes: Arc<Vec<Route>>,
}

/// Turns object events into deliveries for the matching triggers; one per
/// platform ([`Platform::oss_events`]).
#[derive(Debug, Default)]
pub struct OssEvents {
    routes: Mutex<Routes>,
}

impl OssEvents {
    /// The OSS triggers, read again when the store changed.
    async fn routes(&self, p: &Platform) -> ApiResult<Arc<Vec<Route>>> {
        let generation = p.store.generation();
        {
            let cached = self.routes.lock().unwrap_or_else(|e| e.into_inner());
            if cached.generation == Some(generation) {
                return Ok(cached.routes.clone());
            }
        }
        let rows = p.store.list_all(Kind::Trigger).await?;
        let routes: Vec<Route> = rows
            .iter()
            .filter(|row| str_of(row, "triggerType") == "oss")
            .filter_map(|row| {
                let bucket = bucket_of(row["sourceArn"].as_str()).ok()?;
                let config = OssConfig::parse(&row["triggerConfig"]).ok()?;
                Some(Route {
                    key: row_key(row),
                    qualifier: super::qualifier_of(&row["qualifier"]).to_string(),
                    bucket,
                    config,
                })
            })
            .collect();
        let routes = Arc::new(routes);
        let mut cached = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        *cached = Routes {
            generation: Some(generation),
            routes: routes.clone(),
        };
        Ok(routes)
    }

    /// Delivers `events` to every trigger that matches each.
    pub async fn dispatch(&self, p: &Platform, events: &[ObjectEvent]) -> ApiResult<usize> {
        let routes = self.routes(p).await?;
        let who = event::EventIdentity {
            region: &p.identity.region,
            account_id: &p.identity.account_id,
        };
        let mut deliveries = Vec::new();
        for object_event in events {
            let mut payload = None;
            for route in routes.iter().filter(|r| {
                r.bucket == object_event.bucket
                    && r.config.matches(object_event.name, &object_event.key)
            }) {
                let bytes = payload
                    .get_or_insert_with(|| event::oss_event(object_event, &who).to_string())
                    .clone()
                    .into_bytes();
                deliveries.push(Delivery {
                    trigger: route.key.clone(),
                    qualifier: route.qualifier.clone(),
                    enabled: route.config.enabled,
                    payload: bytes,
                    event_ms: object_event.time_ms,
                    caused_at_depth: object_event.caused_at_depth,
                });
            }
        }
        let count = deliveries.len();
        sources::deliver(p, deliveries).await?;
        Ok(count)
    }
}

/// The embedded object store's [`wasm_fc_objectstore::EventSink`]: the
/// platform's [`OssEvents`] (held weakly: the store's server task must not
/// keep a stopped platform alive).
#[derive(Debug)]
pub struct PlatformSink(pub Weak<Platform>);

impl wasm_fc_objectstore::EventSink for PlatformSink {
    fn object_events(&self, events: Vec<ObjectEvent>) -> SinkFuture<'_> {
        Box::pin(async move {
            let Some(p) = self.0.upgrade() else {
                return Err(SinkError("the platform is shutting down".into()));
            };
            p.oss_events
                .dispatch(&p, &events).await.map(|_| ()).map_err(|e| {
                tracing::error!(error = %e, "object events could not be queued; the request fails so the client retries");
                SinkError(e.to_string())
            })
        })
    }
}
