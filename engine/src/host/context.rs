//! The FC context in each ABI's form: `FC_*` env vars (command), `x-fc-*`
//! headers (HTTP) and the WIT `context` record (event world). One source of
//! truth, [`FcContext::fields`], feeds the first two.

use http::{HeaderName, HeaderValue};

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
    pub header: HeaderName,
    pub env: &'static str,
    pub value: String,
}

fn field(header: HeaderName, env: &'static str, value: String) -> Field {
    Field { header, env, value }
}

/// The header names, built at compile time (no parsing per request).
pub mod names {
    use http::HeaderName;

    pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-fc-request-id");
    pub const FUNCTION_NAME: HeaderName = HeaderName::from_static("x-fc-function-name");
    pub const FUNCTION_HANDLER: HeaderName = HeaderName::from_static("x-fc-function-handler");
    pub const FUNCTION_MEMORY: HeaderName = HeaderName::from_static("x-fc-function-memory");
    pub const FUNCTION_TIMEOUT: HeaderName = HeaderName::from_static("x-fc-function-timeout");
    pub const FUNCTION_INITIALIZER: HeaderName =
        HeaderName::from_static("x-fc-function-initializer");
    pub const SERVICE_NAME: HeaderName = HeaderName::from_static("x-fc-service-name");
    pub const QUALIFIER: HeaderName = HeaderName::from_static("x-fc-qualifier");
    pub const VERSION_ID: HeaderName = HeaderName::from_static("x-fc-version-id");
    pub const LOG_PROJECT: HeaderName = HeaderName::from_static("x-fc-service-logproject");
    pub const LOG_STORE: HeaderName = HeaderName::from_static("x-fc-service-logstore");
    pub const REGION: HeaderName = HeaderName::from_static("x-fc-region");
    pub const ACCOUNT_ID: HeaderName = HeaderName::from_static("x-fc-account-id");
    pub const INSTANCE_ID: HeaderName = HeaderName::from_static("x-fc-instance-id");
    pub const ACCESS_KEY_ID: HeaderName = HeaderName::from_static("x-fc-access-key-id");
    pub const ACCESS_KEY_SECRET: HeaderName = HeaderName::from_static("x-fc-access-key-secret");
    pub const SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-fc-security-token");
    pub const RETRY_COUNT: HeaderName = HeaderName::from_static("x-fc-retry-count");
    pub const CLIENT_IP: HeaderName = HeaderName::from_static("x-fc-client-ip");
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
        let mut fields = self.function_fields();
        fields.extend(self.invocation_fields());
        fields
    }

    /// The fields fixed by the function's configuration and the instance: the
    /// same for every call an instance serves, so the HTTP path builds their
    /// headers once per instance.
    pub fn function_fields(&self) -> Vec<Field> {
        let f = self.function;
        vec![
            field(names::FUNCTION_NAME, "FC_FUNCTION_NAME", f.function.clone()),
            field(
                names::FUNCTION_HANDLER,
                "FC_FUNCTION_HANDLER",
                f.handler.clone(),
            ),
            field(
                names::FUNCTION_MEMORY,
                "FC_FUNCTION_MEMORY_SIZE",
                f.memory_size_mb.to_string(),
            ),
            field(
                names::FUNCTION_TIMEOUT,
                "FC_FUNCTION_TIMEOUT",
                f.timeout.as_secs().to_string(),
            ),
            field(
                names::FUNCTION_INITIALIZER,
                "FC_FUNCTION_INITIALIZER",
                f.initializer.clone().unwrap_or_default(),
            ),
            field(names::SERVICE_NAME, "FC_SERVICE_NAME", f.service.clone()),
            field(
                names::INSTANCE_ID,
                INSTANCE_ID_ENV,
                self.instance_id.to_string(),
            ),
        ]
    }

    /// The fields the invocation brings (qualifier, request, credentials…).
    pub fn invocation_fields(&self) -> Vec<Field> {
        let i = self.invoke;
        vec![
            field(names::REQUEST_ID, "FC_REQUEST_ID", i.request_id.clone()),
            field(
                names::QUALIFIER,
                "FC_QUALIFIER",
                self.qualifier().to_string(),
            ),
            field(names::VERSION_ID, "FC_VERSION_ID", i.version_id.clone()),
            field(
                names::LOG_PROJECT,
                "FC_SERVICE_LOG_PROJECT",
                i.log_project.clone(),
            ),
            field(
                names::LOG_STORE,
                "FC_SERVICE_LOG_STORE",
                i.log_store.clone(),
            ),
            field(names::REGION, "FC_REGION", i.region.clone()),
            field(names::ACCOUNT_ID, "FC_ACCOUNT_ID", i.account_id.clone()),
            field(
                names::ACCESS_KEY_ID,
                "FC_ACCESS_KEY_ID",
                i.access_key_id.clone(),
            ),
            field(
                names::ACCESS_KEY_SECRET,
                "FC_ACCESS_KEY_SECRET",
                i.access_key_secret.clone(),
            ),
            field(
                names::SECURITY_TOKEN,
                "FC_SECURITY_TOKEN",
                i.security_token.clone(),
            ),
            field(
                names::RETRY_COUNT,
                "FC_RETRY_COUNT",
                i.retry_count.to_string(),
            ),
        ]
    }

    /// The context as `FC_*` environment variables (commands: every call is a
    /// fresh process-like run).
    pub fn env(&self) -> Vec<(String, String)> {
        self.fields()
            .into_iter()
            .map(|f| (f.env.to_string(), f.value))
            .collect()
    }

    /// A component instance's `FC_*` variables, except `FC_INSTANCE_ID`: the
    /// function's own fields (name, handler, memory, timeout, initializer,
    /// service), which every call an instance serves shares. What an invocation
    /// brings (request id, qualifier, version, credentials…) reaches components
    /// in the context record or `x-fc-*` headers, never the environment, which is
    /// fixed when the instance starts. Empty values are left out, as in the
    /// headers. Each variable costs a fresh instance's first environment read
    /// ~0.3 µs (the guest lists the whole environment), so a function builds
    /// this once.
    pub fn function_env(&self) -> Vec<(String, String)> {
        self.function_fields()
            .into_iter()
            .filter(|f| f.header != names::INSTANCE_ID && !f.value.is_empty())
            .map(|f| (f.env.to_string(), f.value))
            .collect()
    }
}

/// `FC_INSTANCE_ID`, the one per-instance variable of [`FcContext::function_env`].
pub const INSTANCE_ID_ENV: &str = "FC_INSTANCE_ID";

/// The fields as header pairs. An empty field (no initializer, no role
/// credentials, LATEST's version id, no log config) is not sent, as FC leaves
/// out credentials without a role; the guest SDK reads an absent header as
/// empty. Each header costs the guest's request ~2% of a warm call's
/// throughput, and the empty ones are 7 of 19 for a plain function. A value
/// that is not a valid header value (a control character in a configured
/// name) is left out too.
pub fn headers(fields: Vec<Field>) -> impl Iterator<Item = (HeaderName, HeaderValue)> {
    fields.into_iter().filter_map(|field| {
        if field.value.is_empty() {
            return None;
        }
        let value = HeaderValue::from_maybe_shared(bytes::Bytes::from(field.value)).ok()?;
        Some((field.header, value))
    })
}

/// Whether a request header is one the platform owns. Callers' values for these
/// are dropped, so a client cannot spoof the context a function sees.
pub fn is_context_header(name: &str) -> bool {
    let name = name.as_bytes();
    name.len() >= 5 && name[..5].eq_ignore_ascii_case(b"x-fc-")
}
