//! The FC context in each ABI's form: `FC_*` env vars (command), `x-fc-*`
//! headers (HTTP) and the WIT `context` record (event world). One source of
//! truth, [`FcContext::pairs`], feeds the first two.

use crate::config::{FunctionConfig, InvokeContext};

/// The context of one invocation on one instance.
#[derive(Debug, Clone, Copy)]
pub struct FcContext<'a> {
    pub function: &'a FunctionConfig,
    pub invoke: &'a InvokeContext,
    pub instance_id: &'a str,
}

/// One context field under its header name (`x-fc-...`) and env name (`FC_...`).
pub struct Field {
    pub header: &'static str,
    pub env: &'static str,
    pub value: String,
}

impl FcContext<'_> {
    /// The qualifier, `LATEST` when none was given.
    pub fn qualifier(&self) -> &str {
        if self.invoke.qualifier.is_empty() {
            "LATEST"
        } else {
            &self.invoke.qualifier
        }
    }

    /// Every context field. Header names follow FC's runtime protocol.
    pub fn fields(&self) -> Vec<Field> {
        let f = self.function;
        let i = self.invoke;
        let field = |header, env, value: String| Field { header, env, value };
        vec![
            field("x-fc-request-id", "FC_REQUEST_ID", i.request_id.clone()),
            field("x-fc-function-name", "FC_FUNCTION_NAME", f.function.clone()),
            field(
                "x-fc-function-handler",
                "FC_FUNCTION_HANDLER",
                f.handler.clone(),
            ),
            field(
                "x-fc-function-memory",
                "FC_FUNCTION_MEMORY_SIZE",
                f.memory_size_mb.to_string(),
            ),
            field(
                "x-fc-function-timeout",
                "FC_FUNCTION_TIMEOUT",
                f.timeout.as_secs().to_string(),
            ),
            field(
                "x-fc-function-initializer",
                "FC_FUNCTION_INITIALIZER",
                f.initializer.clone().unwrap_or_default(),
            ),
            field("x-fc-service-name", "FC_SERVICE_NAME", f.service.clone()),
            field(
                "x-fc-qualifier",
                "FC_QUALIFIER",
                self.qualifier().to_string(),
            ),
            field("x-fc-version-id", "FC_VERSION_ID", i.version_id.clone()),
            field(
                "x-fc-service-logproject",
                "FC_SERVICE_LOG_PROJECT",
                i.log_project.clone(),
            ),
            field(
                "x-fc-service-logstore",
                "FC_SERVICE_LOG_STORE",
                i.log_store.clone(),
            ),
            field("x-fc-region", "FC_REGION", i.region.clone()),
            field("x-fc-account-id", "FC_ACCOUNT_ID", i.account_id.clone()),
            field(
                "x-fc-instance-id",
                "FC_INSTANCE_ID",
                self.instance_id.to_string(),
            ),
            field(
                "x-fc-access-key-id",
                "FC_ACCESS_KEY_ID",
                i.access_key_id.clone(),
            ),
            field(
                "x-fc-access-key-secret",
                "FC_ACCESS_KEY_SECRET",
                i.access_key_secret.clone(),
            ),
            field(
                "x-fc-security-token",
                "FC_SECURITY_TOKEN",
                i.security_token.clone(),
            ),
            field(
                "x-fc-retry-count",
                "FC_RETRY_COUNT",
                i.retry_count.to_string(),
            ),
        ]
    }

    /// The fields that stay the same for every call an instance serves, as
    /// `FC_*` variables: a warm instance's environment is fixed at creation, so
    /// per-request values (request id, credentials, retry count) stay out of it.
    pub fn instance_env(&self) -> Vec<(String, String)> {
        const PER_REQUEST: [&str; 5] = [
            "x-fc-request-id",
            "x-fc-access-key-id",
            "x-fc-access-key-secret",
            "x-fc-security-token",
            "x-fc-retry-count",
        ];
        self.fields()
            .into_iter()
            .filter(|f| !PER_REQUEST.contains(&f.header))
            .map(|f| (f.env.to_string(), f.value))
            .collect()
    }

    /// The context as `FC_*` environment variables.
    pub fn env(&self) -> Vec<(String, String)> {
        self.fields()
            .into_iter()
            .map(|f| (f.env.to_string(), f.value))
            .collect()
    }
}

/// Whether a request header is one the platform owns. Callers' values for these
/// are dropped, so a client cannot spoof the context a function sees.
pub fn is_context_header(name: &str) -> bool {
    let name = name.as_bytes();
    name.len() >= 5 && name[..5].eq_ignore_ascii_case(b"x-fc-")
}
