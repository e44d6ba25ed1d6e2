//! Event sources that live outside this machine (SLS, MNS, CDN, TableStore,
//! RDS). Their triggers are stored with their config, so FC tools and
//! manifests round-trip, but no local source delivers events to them.

use serde_json::Value;

use super::TriggerType;

/// A stored-only trigger type, by FC's name.
#[derive(Debug)]
pub struct StoredTrigger(pub &'static str);

impl TriggerType for StoredTrigger {
    fn name(&self) -> &'static str {
        self.0
    }

    fn validate(&self, config: &Value) -> Result<(), String> {
        if config.is_object() {
            Ok(())
        } else {
            Err("triggerConfig must be an object".into())
        }
    }
}
