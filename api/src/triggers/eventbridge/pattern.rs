//! EventBridge's event patterns (`eventRuleFilterPattern`): which events on
//! the bus a trigger takes.
//!
//! A pattern is a JSON object shaped like the events it selects. For each of
//! its keys:
//! - an **object** descends into the event's field of that name (`data`);
//! - an **array** lists matchers, and the event's field must match one of
//!   them (when the field is itself an array, one of its elements must);
//! - a bare scalar is taken as a one-element list.
//!
//! Matchers: a scalar (exact value), `{"prefix": "…"}`, `{"suffix": "…"}`,
//! `{"anything-but": value | [values] | {"prefix": "…"}}`,
//! `{"exists": true|false}`, `{"numeric": [">", 0, "<=", 5]}` and
//! `{"cidr": "10.0.0.0/8"}`. The empty pattern `{}` matches every event. A
//! field the event lacks matches only `{"exists": false}`.

use serde_json::{Map, Value};

/// A checked pattern.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pattern(Map<String, Value>);

impl Pattern {
    /// Parses FC's form: the pattern as a JSON string.
    pub fn parse_str(text: &str) -> Result<Self, String> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("not valid JSON ({e})"))?;
        Self::parse(&value)
    }

    /// Checks a pattern object.
    pub fn parse(value: &Value) -> Result<Self, String> {
        let Value::Object(fields) = value else {
            return Err("a pattern must be a JSON object".into());
        };
        check_level(fields, "")?;
        Ok(Self(fields.clone()))
    }

    /// Whether `event` matches.
    pub fn matches(&self, event: &Value) -> bool {
        matches_level(&self.0, Some(event))
    }
}

fn check_level(fields: &Map<String, Value>, path: &str) -> Result<(), String> {
    for (key, rule) in fields {
        let here = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        match rule {
            Value::Object(inner) => check_level(inner, &here)?,
            Value::Array(matchers) => {
                for m in matchers {
                    check_matcher(m).map_err(|e| format!("{here}: {e}"))?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn check_matcher(matcher: &Value) -> Result<(), String> {
    let Value::Object(m) = matcher else {
        return Ok(());
    };
    let Some((op, arg)) = m.iter().next().filter(|_| m.len() == 1) else {
        return Err(format!("{matcher} must have exactly one operator"));
    };
    let ok = match op.as_str() {
        "prefix" | "suffix" => arg.is_string(),
        "exists" => arg.is_boolean(),
        "anything-but" => match arg {
            Value::Object(inner) => inner.get("prefix").is_some_and(Value::is_string),
            _ => true,
        },
        "numeric" => numeric_ops(arg).is_some(),
        "cidr" => arg.as_str().and_then(parse_cidr).is_some(),
        _ => return Err(format!("unknown operator {op:?}")),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("bad argument for {op:?}: {arg}"))
    }
}

fn matches_level(pattern: &Map<String, Value>, event: Option<&Value>) -> bool {
    pattern.iter().all(|(key, rule)| {
        let field = event.and_then(|e| e.get(key));
        match rule {
            Value::Object(inner) => field.is_some_and(|f| matches_level(inner, Some(f))),
            Value::Array(matchers) => matchers.iter().any(|m| matches_field(m, field)),
            scalar => matches_field(scalar, field),
        }
    })
}

/// Whether one matcher matches a field (absent: `None`).
fn matches_field(matcher: &Value, field: Option<&Value>) -> bool {
    if let Value::Object(m) = matcher
        && let Some(exists) = m.get("exists").and_then(Value::as_bool)
    {
        return field.is_some() == exists;
    }
    match field {
        None => false,
        Some(Value::Array(items)) => items.iter().any(|item| matches_value(matcher, item)),
        Some(value) => matches_value(matcher, value),
    }
}

fn matches_value(matcher: &Value, value: &Value) -> bool {
    let Value::Object(m) = matcher else {
        return scalar_eq(matcher, value);
    };
    let Some((op, arg)) = m.iter().next() else {
        return false;
    };
    let text = value.as_str();
    match op.as_str() {
        "prefix" => text
            .zip(arg.as_str())
            .is_some_and(|(t, p)| t.starts_with(p)),
        "suffix" => text.zip(arg.as_str()).is_some_and(|(t, s)| t.ends_with(s)),
        "anything-but" => match arg {
            Value::Array(values) => !values.iter().any(|v| scalar_eq(v, value)),
            Value::Object(inner) => match inner.get("prefix").and_then(Value::as_str) {
                Some(p) => text.is_some_and(|t| !t.starts_with(p)),
                None => false,
            },
            single => !scalar_eq(single, value),
        },
        "numeric" => value
            .as_f64()
            .zip(numeric_ops(arg))
            .is_some_and(|(n, ops)| ops.iter().all(|(op, bound)| compare(n, op, *bound))),
        "cidr" => text
            .and_then(|t| t.parse::<std::net::Ipv4Addr>().ok())
            .zip(arg.as_str().and_then(parse_cidr))
            .is_some_and(|(ip, (net, bits))| {
                let mask = if bits == 0 {
                    0
                } else {
                    u32::MAX << (32 - u32::from(bits))
                };
                u32::from(ip) & mask == u32::from(net) & mask
            }),
        _ => false,
    }
}

/// Exact equality; numbers compare by value (`5` matches `5.0`).
fn scalar_eq(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn numeric_ops(arg: &Value) -> Option<Vec<(String, f64)>> {
    let items = arg.as_array()?;
    if items.is_empty() || items.len() % 2 != 0 || items.len() > 4 {
        return None;
    }
    let mut ops = Vec::with_capacity(items.len() / 2);
    for pair in items.chunks(2) {
        let op = pair[0].as_str()?;
        if !matches!(op, "<" | "<=" | "=" | ">=" | ">") {
            return None;
        }
        ops.push((op.to_string(), pair[1].as_f64()?));
    }
    Some(ops)
}

fn compare(n: f64, op: &str, bound: f64) -> bool {
    match op {
        "<" => n < bound,
        "<=" => n <= bound,
        "=" => n == bound,
        ">=" => n >= bound,
        ">" => n > bound,
        _ => false,
    }
}

fn parse_cidr(text: &str) -> Option<(std::net::Ipv4Addr, u8)> {
    let (ip, bits) = text.split_once('/')?;
    let bits: u8 = bits.parse().ok().filter(|b| *b <= 32)?;
    Some((ip.parse().ok()?, bits))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event() -> Value {
        json!({"source": "acs.cms", "type": "cms:CloudMonitor:AlertWebHook",
               "data": {"level": "CRITICAL", "name": "HighErrorRate", "status": "firing",
                        "value": 7, "tags": ["a", "b"], "ip": "10.1.2.3"}})
    }

    #[test]
    fn exact_prefix_lists_and_nesting() {
        for (pattern, expected) in [
            (json!({}), true),
            (json!({"source": ["acs.cms"]}), true),
            (json!({"source": ["acs.ecs", "acs.cms"]}), true),
            (json!({"source": ["acs.ecs"]}), false),
            (json!({"type": [{"prefix": "cms:CloudMonitor:"}]}), true),
            (json!({"type": [{"prefix": "ecs:"}]}), false),
            (
                json!({"data": {"level": ["CRITICAL"], "status": ["firing"]}}),
                true,
            ),
            (json!({"data": {"level": ["WARN"]}}), false),
            (json!({"data": {"tags": ["b"]}}), true),
            (json!({"data": {"missing": [{"exists": false}]}}), true),
            (json!({"data": {"missing": ["x"]}}), false),
            (
                json!({"data": {"level": [{"anything-but": ["INFO"]}]}}),
                true,
            ),
            (
                json!({"data": {"value": [{"numeric": [">", 5, "<=", 7]}]}}),
                true,
            ),
            (json!({"data": {"value": [{"numeric": [">", 7]}]}}), false),
            (json!({"data": {"ip": [{"cidr": "10.0.0.0/8"}]}}), true),
            (json!({"data": {"name": [{"suffix": "Rate"}]}}), true),
        ] {
            let p = Pattern::parse(&pattern).unwrap();
            assert_eq!(p.matches(&event()), expected, "{pattern}");
        }
    }

    #[test]
    fn bad_patterns_are_refused() {
        assert!(Pattern::parse_str("not json").is_err());
        assert!(Pattern::parse_str("[1]").is_err());
        assert!(Pattern::parse_str(r#"{"source":[{"regex":"x"}]}"#).is_err());
        assert!(Pattern::parse_str(r#"{"n":[{"numeric":[">"]}]}"#).is_err());
    }
}
