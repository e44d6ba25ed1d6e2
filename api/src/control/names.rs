//! FC's names: qualifiers in paths, function and layer ARNs, version row keys.

/// `svc` or `svc.qualifier` (service names cannot contain `.`).
pub fn split_qualifier(segment: &str) -> (&str, Option<&str>) {
    match segment.split_once('.') {
        Some((service, qualifier)) => (service, Some(qualifier)),
        None => (segment, None),
    }
}

/// `acs:fc:<region>:<uid>:services/<svc>.<qualifier>/functions/<fn>` → (svc, qualifier, fn).
pub fn parse_function_arn(arn: &str) -> Option<(String, String, String)> {
    let rest = arn.strip_prefix("acs:fc:")?;
    let path = rest.splitn(3, ':').nth(2)?;
    let path = path.strip_prefix("services/")?;
    let (service_part, function) = path.split_once("/functions/")?;
    let (service, qualifier) = split_qualifier(service_part);
    (!function.is_empty() && !service.is_empty()).then(|| {
        (
            service.to_string(),
            qualifier.unwrap_or("LATEST").to_string(),
            function.to_string(),
        )
    })
}

/// `acs:fc:<region>:<uid>:layers/<name>/versions/<n>` → (name, n).
pub fn parse_layer_arn(arn: &str) -> Option<(String, String)> {
    let path = arn.strip_prefix("acs:fc:")?.splitn(3, ':').nth(2)?;
    let rest = path.strip_prefix("layers/")?;
    let (name, version) = rest.split_once("/versions/")?;
    (!name.is_empty() && version.parse::<u64>().is_ok())
        .then(|| (name.to_string(), version.to_string()))
}

/// Version rows are named by zero-padded id so they sort numerically.
pub fn version_key(version_id: &str) -> String {
    format!("{:0>20}", version_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_arns() {
        assert_eq!(
            parse_function_arn("acs:fc:cn-hangzhou:123:services/demo.LATEST/functions/dest"),
            Some(("demo".into(), "LATEST".into(), "dest".into()))
        );
        assert_eq!(
            parse_function_arn("acs:fc:local:1:services/demo/functions/f").map(|a| a.1),
            Some("LATEST".into())
        );
        assert!(parse_function_arn("acs:mns:cn-hangzhou:123:/queues/q/messages").is_none());
    }

    #[test]
    fn layer_arns() {
        assert_eq!(
            parse_layer_arn("acs:fc:local:123:layers/libs/versions/2"),
            Some(("libs".into(), "2".into()))
        );
        assert!(parse_layer_arn("acs:fc:local:123:layers/libs/versions/x").is_none());
        assert!(parse_layer_arn("libs").is_none());
    }
}
