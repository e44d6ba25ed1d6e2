//! An OSS trigger's `sourceArn` and `triggerConfig` (fc-events.md §1.2):
//! parsed, validated with errors that name the field, matched against object
//! events, and checked against the other triggers on the same bucket.

use serde_json::Value;

/// Event names FC accepts in `triggerConfig.events` (fc-api.md §6.3). Of
/// these, the embedded store emits `PutObject`, `CopyObject`,
/// `CompleteMultipartUpload`, `DeleteObject` and `DeleteObjects`; the others
/// are accepted so FC configs deploy unchanged.
pub const EVENT_NAMES: &[&str] = &[
    "oss:ObjectCreated:PutObject",
    "oss:ObjectCreated:PutSymlink",
    "oss:ObjectCreated:PostObject",
    "oss:ObjectCreated:CopyObject",
    "oss:ObjectCreated:InitiateMultipartUpload",
    "oss:ObjectCreated:UploadPart",
    "oss:ObjectCreated:UploadPartCopy",
    "oss:ObjectCreated:CompleteMultipartUpload",
    "oss:ObjectCreated:AppendObject",
    "oss:ObjectRemoved:DeleteObject",
    "oss:ObjectRemoved:DeleteObjects",
    "oss:ObjectRemoved:AbortMultipartUpload",
    "oss:ObjectReplication:ObjectCreated",
    "oss:ObjectReplication:ObjectRemoved",
    "oss:ObjectReplication:ObjectModified",
];

/// At most this many OSS triggers per bucket: 10, FC's limit.
pub const MAX_TRIGGERS_PER_BUCKET: usize = 10;

/// A validated OSS trigger config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OssConfig {
    /// As given, e.g. `oss:ObjectCreated:*`.
    pub events: Vec<String>,
    pub prefix: String,
    pub suffix: String,
    /// `triggerConfig.enable`; default true. A disabled trigger delivers no
    /// events (those that happen meanwhile are not kept), as on FC.
    pub enabled: bool,
}

/// Whether `pattern` (with `*` matching any run of characters) matches `name`.
pub fn glob_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, rest)) => {
            let Some(after_head) = name.strip_prefix(head) else {
                return false;
            };
            if rest.is_empty() {
                return true;
            }
            (0..=after_head.len())
                .filter(|i| after_head.is_char_boundary(*i))
                .any(|i| glob_matches(rest, &after_head[i..]))
        }
    }
}

impl OssConfig {
    /// Reads and checks `triggerConfig`.
    pub fn parse(config: &Value) -> Result<Self, String> {
        let object = config
            .as_object()
            .ok_or("triggerConfig must be an object")?;
        let events = object
            .get("events")
            .and_then(Value::as_array)
            .filter(|events| !events.is_empty())
            .ok_or("triggerConfig.events must be a non-empty list of OSS event names, e.g. [\"oss:ObjectCreated:*\"]")?;
        let mut names = Vec::with_capacity(events.len());
        for (i, event) in events.iter().enumerate() {
            let name = event
                .as_str()
                .ok_or_else(|| format!("triggerConfig.events[{i}] must be a string"))?;
            if !EVENT_NAMES.iter().any(|known| glob_matches(name, known)) {
                return Err(format!(
                    "triggerConfig.events[{i}] {name:?} is not an OSS event (for example oss:ObjectCreated:*, oss:ObjectCreated:PutObject, oss:ObjectRemoved:DeleteObject)"
                ));
            }
            names.push(name.to_string());
        }
        let key = match object.get("filter") {
            None | Some(Value::Null) => None,
            // Older tools spell it `Key`/`Prefix`/`Suffix`.
            Some(Value::Object(filter)) => match filter.get("key").or_else(|| filter.get("Key")) {
                None | Some(Value::Null) => None,
                Some(Value::Object(key)) => Some(key),
                Some(_) => return Err("triggerConfig.filter.key must be an object".into()),
            },
            Some(_) => return Err("triggerConfig.filter must be an object".into()),
        };
        let part = |name: &str| -> Result<String, String> {
            let capitalized = format!("{}{}", name[..1].to_uppercase(), &name[1..]);
            match key.and_then(|k| k.get(name).or_else(|| k.get(&capitalized))) {
                None | Some(Value::Null) => Ok(String::new()),
                Some(Value::String(s)) if s.len() <= 1024 => Ok(s.clone()),
                Some(_) => Err(format!(
                    "triggerConfig.filter.key.{name} must be a string of at most 1024 characters"
                )),
            }
        };
        let enabled = match object.get("enable") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err("triggerConfig.enable must be true or false".into()),
        };
        Ok(Self {
            events: names,
            prefix: part("prefix")?,
            suffix: part("suffix")?,
            enabled,
        })
    }

    /// Whether an event called `event_name` (FC's, without `oss:`) on `key`
    /// is one this trigger takes.
    pub fn matches(&self, event_name: &str, key: &str) -> bool {
        let full = format!("oss:{event_name}");
        key.starts_with(&self.prefix)
            && key.ends_with(&self.suffix)
            && self.events.iter().any(|p| glob_matches(p, &full))
    }

    /// FC's overlap rule: two triggers on one bucket may not both take an
    /// event for some key. Their event sets intersect, and their key filters
    /// can match one key (each prefix extends the other, and likewise each
    /// suffix).
    pub fn overlaps(&self, other: &OssConfig) -> bool {
        let events_meet = EVENT_NAMES.iter().any(|name| {
            self.events.iter().any(|p| glob_matches(p, name))
                && other.events.iter().any(|p| glob_matches(p, name))
        });
        let prefixes_meet =
            self.prefix.starts_with(&other.prefix) || other.prefix.starts_with(&self.prefix);
        let suffixes_meet =
            self.suffix.ends_with(&other.suffix) || other.suffix.ends_with(&self.suffix);
        events_meet && prefixes_meet && suffixes_meet
    }
}

/// The bucket a `sourceArn` names: `acs:oss:{region}:{accountId}:{bucket}`.
pub fn bucket_of(source_arn: Option<&str>) -> Result<String, String> {
    let arn = source_arn
        .filter(|a| !a.is_empty())
        .ok_or("sourceArn is required for an OSS trigger: acs:oss:{region}:{accountId}:{bucket}")?;
    let parts: Vec<&str> = arn.split(':').collect();
    let [acs, oss, region, account, bucket] = parts.as_slice() else {
        return Err(format!(
            "sourceArn {arn:?} is not acs:oss:{{region}}:{{accountId}}:{{bucket}}"
        ));
    };
    if *acs != "acs" || *oss != "oss" || region.is_empty() || account.is_empty() {
        return Err(format!(
            "sourceArn {arn:?} is not acs:oss:{{region}}:{{accountId}}:{{bucket}}"
        ));
    }
    let valid_bucket = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !bucket.starts_with(['-', '.'])
        && !bucket.ends_with(['-', '.']);
    if !valid_bucket {
        return Err(format!(
            "sourceArn names the bucket {bucket:?}, which is not a valid bucket name (3-63 lower-case letters, digits, '-' and '.')"
        ));
    }
    Ok(bucket.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(events: &[&str], prefix: &str, suffix: &str) -> OssConfig {
        OssConfig::parse(
            &json!({"events": events, "filter": {"key": {"prefix": prefix, "suffix": suffix}}}),
        )
        .unwrap()
    }

    #[test]
    fn wildcards_and_filters_match_as_fc_documents() {
        let c = config(&["oss:ObjectCreated:*"], "in/", ".png");
        assert!(c.matches("ObjectCreated:PutObject", "in/a.png"));
        assert!(c.matches("ObjectCreated:CompleteMultipartUpload", "in/b/c.png"));
        assert!(!c.matches("ObjectRemoved:DeleteObject", "in/a.png"));
        assert!(!c.matches("ObjectCreated:PutObject", "out/a.png"));
        assert!(!c.matches("ObjectCreated:PutObject", "in/a.jpg"));
        let exact = config(&["oss:ObjectRemoved:DeleteObject"], "", "");
        assert!(exact.matches("ObjectRemoved:DeleteObject", "x"));
        assert!(!exact.matches("ObjectRemoved:DeleteObjects", "x"));
    }

    #[test]
    fn bad_configs_name_the_field() {
        for (config, field) in [
            (json!({}), "triggerConfig.events"),
            (json!({"events": []}), "triggerConfig.events"),
            (json!({"events": ["oss:Nope:*"]}), "triggerConfig.events[0]"),
            (json!({"events": [7]}), "triggerConfig.events[0]"),
            (
                json!({"events": ["oss:ObjectCreated:*"], "filter": 1}),
                "triggerConfig.filter",
            ),
            (
                json!({"events": ["oss:ObjectCreated:*"], "filter": {"key": {"prefix": 1}}}),
                "triggerConfig.filter.key.prefix",
            ),
            (
                json!({"events": ["oss:ObjectCreated:*"], "enable": "yes"}),
                "triggerConfig.enable",
            ),
        ] {
            let error = OssConfig::parse(&config).unwrap_err();
            assert!(error.contains(field), "{config}: {error}");
        }
    }

    #[test]
    fn overlap_follows_events_prefixes_and_suffixes() {
        let all = config(&["oss:ObjectCreated:*"], "", "");
        let put = config(&["oss:ObjectCreated:PutObject"], "a/", "");
        let delete = config(&["oss:ObjectRemoved:*"], "", "");
        assert!(all.overlaps(&put));
        assert!(!all.overlaps(&delete));
        let a = config(&["oss:ObjectCreated:*"], "a/", ".png");
        let b = config(&["oss:ObjectCreated:*"], "b/", ".png");
        let ab = config(&["oss:ObjectCreated:*"], "a/b", "");
        let jpg = config(&["oss:ObjectCreated:*"], "a/", ".jpg");
        assert!(!a.overlaps(&b));
        assert!(a.overlaps(&ab));
        assert!(!a.overlaps(&jpg));
    }

    #[test]
    fn source_arns_name_a_bucket() {
        assert_eq!(
            bucket_of(Some("acs:oss:cn-hangzhou:123:my-bucket")).unwrap(),
            "my-bucket"
        );
        assert_eq!(bucket_of(Some("acs:oss:local:local:b12")).unwrap(), "b12");
        for bad in [
            None,
            Some(""),
            Some("acs:oss:r:a"),
            Some("acs:mns:r:a:b12"),
            Some("acs:oss:r:a:UPPER"),
            Some("acs:oss:r:a:x"),
        ] {
            assert!(bucket_of(bad).unwrap_err().contains("sourceArn"), "{bad:?}");
        }
    }
}
