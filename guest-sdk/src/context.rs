//! The FC context, in the shape FC's runtimes give it (`context.request_id`, ...).

use crate::bindings::fc::function::types as wit;

/// Everything FC tells a handler about the invocation.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The invocation's request id; equals the `X-Fc-Request-Id` response header.
    pub request_id: String,
    pub function: FunctionMeta,
    pub service: ServiceMeta,
    pub credentials: Credentials,
    pub region: String,
    pub account_id: String,
    /// Stable for all the warm calls one instance serves.
    pub instance_id: String,
}

/// FC `context.function`.
#[derive(Debug, Clone, Default)]
pub struct FunctionMeta {
    pub name: String,
    pub handler: String,
    /// memorySize in MB.
    pub memory_size: u32,
    /// timeout in seconds.
    pub timeout: u32,
    /// Empty when the function has no initializer.
    pub initializer: String,
}

/// FC `context.service`.
#[derive(Debug, Clone, Default)]
pub struct ServiceMeta {
    pub name: String,
    /// What the caller asked for: `LATEST`, a version or an alias name.
    pub qualifier: String,
    /// The version that actually runs.
    pub version_id: String,
    pub log_project: String,
    pub log_store: String,
}

/// FC `context.credentials` (empty when the service has no role).
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub access_key_id: String,
    pub access_key_secret: String,
    pub security_token: String,
}

impl From<wit::Context> for Context {
    fn from(c: wit::Context) -> Self {
        Self {
            request_id: c.request_id,
            function: FunctionMeta {
                name: c.function.name,
                handler: c.function.handler,
                memory_size: c.function.memory_size,
                timeout: c.function.timeout,
                initializer: c.function.initializer,
            },
            service: ServiceMeta {
                name: c.service.name,
                qualifier: c.service.qualifier,
                version_id: c.service.version_id,
                log_project: c.service.log_project,
                log_store: c.service.log_store,
            },
            credentials: Credentials {
                access_key_id: c.credentials.access_key_id,
                access_key_secret: c.credentials.access_key_secret,
                security_token: c.credentials.security_token,
            },
            region: c.region,
            account_id: c.account_id,
            instance_id: c.instance_id,
        }
    }
}

impl Context {
    /// Builds the context from the `x-fc-*` headers wasm-fc puts on every HTTP request.
    pub(crate) fn from_headers(get: impl Fn(&str) -> Option<String>) -> Self {
        let text = |name: &str| get(name).unwrap_or_default();
        let number = |name: &str| text(name).parse().unwrap_or(0);
        Self {
            request_id: text("x-fc-request-id"),
            function: FunctionMeta {
                name: text("x-fc-function-name"),
                handler: text("x-fc-function-handler"),
                memory_size: number("x-fc-function-memory"),
                timeout: number("x-fc-function-timeout"),
                initializer: text("x-fc-function-initializer"),
            },
            service: ServiceMeta {
                name: text("x-fc-service-name"),
                qualifier: text("x-fc-qualifier"),
                version_id: text("x-fc-version-id"),
                log_project: text("x-fc-service-logproject"),
                log_store: text("x-fc-service-logstore"),
            },
            credentials: Credentials {
                access_key_id: text("x-fc-access-key-id"),
                access_key_secret: text("x-fc-access-key-secret"),
                security_token: text("x-fc-security-token"),
            },
            region: text("x-fc-region"),
            account_id: text("x-fc-account-id"),
            instance_id: text("x-fc-instance-id"),
        }
    }
}
