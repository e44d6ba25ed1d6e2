//! The HTTP trigger: `{"authType": "anonymous"|"function", "methods": [...]}`
//! (fc-api.md §6.2). Requests arrive on `/proxy/...` ([`super::proxy_router`]).
//!
//! Rules kept at create/update time: `methods` is a non-empty subset of GET, POST,
//! PUT, DELETE, HEAD, PATCH, OPTIONS (any case); `authType` defaults to `function`
//! as FC's SDKs do; one HTTP trigger per function and qualifier; and a function
//! with an HTTP trigger takes no trigger of another type (checked by the routes).

use http::Method;
use serde_json::Value;

use super::TriggerType;

/// The methods an HTTP trigger may allow.
pub const METHODS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"];

/// The `http` trigger type.
#[derive(Debug)]
pub struct HttpTrigger;

/// A parsed HTTP trigger config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// `authType: anonymous`: no signature needed.
    pub anonymous: bool,
    pub methods: Vec<Method>,
}

impl HttpConfig {
    pub fn parse(config: &Value) -> Result<Self, String> {
        let anonymous = match &config["authType"] {
            Value::Null => false,
            Value::String(t) if t.eq_ignore_ascii_case("anonymous") => true,
            Value::String(t) if t.eq_ignore_ascii_case("function") => false,
            other => {
                return Err(format!(
                    "triggerConfig.authType {other} is not one of anonymous, function"
                ));
            }
        };
        let listed = config["methods"]
            .as_array()
            .filter(|m| !m.is_empty())
            .ok_or("triggerConfig.methods must list at least one HTTP method")?;
        let mut methods = Vec::with_capacity(listed.len());
        for method in listed {
            let name = method
                .as_str()
                .map(str::to_ascii_uppercase)
                .filter(|m| METHODS.contains(&m.as_str()))
                .ok_or_else(|| {
                    format!(
                        "triggerConfig.methods: {method} is not one of {}",
                        METHODS.join(", ")
                    )
                })?;
            methods.extend(Method::from_bytes(name.as_bytes()).ok());
        }
        Ok(Self { anonymous, methods })
    }

    pub fn allows(&self, method: &Method) -> bool {
        self.methods.contains(method)
    }
}

impl TriggerType for HttpTrigger {
    fn name(&self) -> &'static str {
        "http"
    }

    fn validate(&self, config: &Value) -> Result<(), String> {
        HttpConfig::parse(config).map(|_| ())
    }
}
