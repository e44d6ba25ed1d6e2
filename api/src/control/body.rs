//! Request bodies the way FC's server reads them (fc-api.md §0.5, §3.1): JSON keys
//! match case-insensitively, `null` means absent, unknown keys are ignored.
//! Only field *names* are case-folded; values (environment maps, trigger
//! configs) are kept exactly as sent.

use serde_json::{Map, Value};

use crate::control::error::{ApiError, ApiResult};

/// A JSON object read with FC's rules.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    map: Map<String, Value>,
}

impl Fields {
    /// Parses a request body. An empty body is an empty object.
    pub fn parse(bytes: &[u8]) -> ApiResult<Self> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(Self { map }),
            Ok(other) => Err(ApiError::InvalidArgument(format!(
                "the request body must be a JSON object, not {}",
                kind_of(&other)
            ))),
            Err(e) => Err(ApiError::InvalidArgument(format!(
                "the request body is not valid JSON: {e}"
            ))),
        }
    }

    /// Wraps an object value (for nested configs).
    pub fn from_value(value: &Value, name: &str) -> ApiResult<Self> {
        match value {
            Value::Object(map) => Ok(Self { map: map.clone() }),
            other => Err(ApiError::InvalidArgument(format!(
                "{name} must be an object, not {}",
                kind_of(other)
            ))),
        }
    }

    /// The value under `name` (any case); `None` when absent or null.
    pub fn get(&self, name: &str) -> Option<&Value> {
        let exact = self.map.get(name).filter(|v| !v.is_null());
        exact.or_else(|| {
            self.map
                .iter()
                .find(|(k, v)| k.eq_ignore_ascii_case(name) && !v.is_null())
                .map(|(_, v)| v)
        })
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn string(&self, name: &str) -> ApiResult<Option<String>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(invalid_type(name, "a string", other)),
        }
    }

    pub fn required_string(&self, name: &str) -> ApiResult<String> {
        self.string(name)?
            .ok_or_else(|| ApiError::InvalidArgument(format!("{name} is required")))
    }

    pub fn int(&self, name: &str) -> ApiResult<Option<i64>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| {
                ApiError::InvalidArgument(format!("{name} must be an integer, got {n}"))
            }),
            Some(other) => Err(invalid_type(name, "an integer", other)),
        }
    }

    pub fn bool(&self, name: &str) -> ApiResult<Option<bool>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(invalid_type(name, "a boolean", other)),
        }
    }

    pub fn object(&self, name: &str) -> ApiResult<Option<Fields>> {
        self.get(name)
            .map(|v| Fields::from_value(v, name))
            .transpose()
    }

    /// A `map<string,string>` such as `environmentVariables`.
    pub fn string_map(
        &self,
        name: &str,
    ) -> ApiResult<Option<std::collections::BTreeMap<String, String>>> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let Value::Object(map) = value else {
            return Err(invalid_type(name, "an object of strings", value));
        };
        map.iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Err(invalid_type(&format!("{name}.{k}"), "a string", other)),
            })
            .collect::<ApiResult<_>>()
            .map(Some)
    }

    pub fn string_list(&self, name: &str) -> ApiResult<Option<Vec<String>>> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let Value::Array(items) = value else {
            return Err(invalid_type(name, "a list of strings", value));
        };
        items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| invalid_type(name, "a list of strings", v))
            })
            .collect::<ApiResult<_>>()
            .map(Some)
    }

    /// The raw value, cloned (for configs stored and returned as given).
    pub fn raw(&self, name: &str) -> Option<Value> {
        self.get(name).cloned()
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn invalid_type(name: &str, expected: &str, got: &Value) -> ApiError {
    ApiError::InvalidArgument(format!(
        "{name} is set to an invalid value: expected {expected}, got {}",
        kind_of(got)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_and_null_is_absent() {
        let f = Fields::parse(br#"{"InstanceConcurrency": 5, "description": null, "Code": {"ZipFile": "x"}, "environmentVariables": {"Key": "V"}}"#).unwrap();
        assert_eq!(f.int("instanceConcurrency").unwrap(), Some(5));
        assert_eq!(f.string("description").unwrap(), None);
        assert_eq!(
            f.object("code")
                .unwrap()
                .unwrap()
                .string("zipFile")
                .unwrap()
                .as_deref(),
            Some("x")
        );
        let env = f.string_map("environmentVariables").unwrap().unwrap();
        assert_eq!(
            env.get("Key").map(String::as_str),
            Some("V"),
            "map keys keep their case"
        );
    }

    #[test]
    fn bad_bodies_and_types_are_clear_errors() {
        assert!(
            Fields::parse(b"{not json")
                .unwrap_err()
                .to_string()
                .contains("not valid JSON")
        );
        assert!(
            Fields::parse(b"[1]")
                .unwrap_err()
                .to_string()
                .contains("must be a JSON object")
        );
        let f = Fields::parse(br#"{"runtime": 3}"#).unwrap();
        assert!(
            f.string("runtime")
                .unwrap_err()
                .to_string()
                .contains("runtime is set to an invalid value")
        );
        assert!(Fields::parse(b"").unwrap().get("x").is_none());
    }
}
