//! What an HTTP-trigger path names (service, qualifier, function version, its
//! HTTP trigger and the engine function), kept in memory between requests.
//!
//! Each entry carries the store generation it was read at. Every write to a
//! service, function, trigger, version or alias moves the generation on, so the
//! next request reads the store again: a change shows on the very next request.
//! A hit costs one map lookup instead of three store reads and their JSON.

use std::sync::Arc;

use dashmap::DashMap;
use wasm_fc_engine::{Function, InvokeContext};

use super::http::HttpConfig;
use crate::control::error::{ApiError, ApiResult};
use crate::control::names::split_qualifier;
use crate::control::resolve::Resolved;
use crate::control::store::Kind;
use crate::triggers::platform::Platform;

/// At most this many routes are kept (one per function and qualifier that
/// answered); past it the cache starts over. Default 10,000.
const MAX_ROUTES: usize = 10_000;

/// One resolved `/{api}/proxy/{service[.qualifier]}/{function}/`.
#[derive(Debug)]
pub struct Route {
    /// The store generation this was read at.
    generation: u64,
    pub resolved: Arc<Resolved>,
    pub config: HttpConfig,
    /// `/{api}/proxy/{service[.qualifier]}/{function}/` (the `x-fc-base-path` header).
    pub base_path: String,
    /// The invocation context every request on this route shares (no request
    /// id yet), built once instead of from the rows' JSON per request.
    pub context: InvokeContext,
    /// Metrics and function log of this route's invocations (its `trigger`
    /// label is the HTTP trigger's name).
    pub observer: crate::invoke::observe::Observer,
    /// The engine function that runs the resolved version, loaded on the first
    /// request that invokes it (a CORS preflight or a refused method does not).
    function: tokio::sync::OnceCell<Function>,
}

impl Route {
    /// The engine function that runs this route's version.
    pub async fn function(&self, p: &Platform) -> ApiResult<Function> {
        self.function
            .get_or_try_init(|| crate::invoke::function_for(p, &self.resolved))
            .await
            .cloned()
    }
}

/// The route cache; one per platform.
#[derive(Debug, Default)]
pub struct HttpRoutes {
    routes: DashMap<String, Arc<Route>>,
}

/// A request path split into its route and the rest.
#[derive(Debug)]
pub struct Split<'a> {
    pub service_part: &'a str,
    pub function: &'a str,
    /// After the function segment, without its leading `/`.
    pub tail: &'a str,
    /// `/{api}/proxy/{svc[.q]}/{fn}`: the request path up to the function,
    /// borrowed, so a cache hit allocates nothing.
    key: &'a str,
}

/// Splits `/{api}/proxy/{svc[.q]}/{fn}/{rest}`.
pub fn split(path: &str) -> ApiResult<Split<'_>> {
    let (api, after) = path
        .split_once("/proxy/")
        .ok_or_else(|| ApiError::PathNotSupported {
            method: "any method".into(),
            path: path.to_string(),
        })?;
    let (service_part, rest) = after.split_once('/').unwrap_or((after, ""));
    let (function, tail) = rest.split_once('/').unwrap_or((rest, ""));
    if service_part.is_empty() || function.is_empty() {
        return Err(ApiError::InvalidArgument(
            "an HTTP trigger path is /proxy/{service}[.{qualifier}]/{function}/{path}".into(),
        ));
    }
    let key_len = api.len() + "/proxy/".len() + service_part.len() + 1 + function.len();
    Ok(Split {
        service_part,
        function,
        tail,
        key: &path[..key_len],
    })
}

impl HttpRoutes {
    /// The route for `split`, from memory while the store is unchanged. The
    /// version is resolved per request (from the resolve cache, so no store
    /// read when warm): an alias's `additionalVersionWeight` splits HTTP
    /// requests as it splits invocations, each version with its own route.
    pub async fn get(&self, p: &Platform, split: &Split<'_>) -> ApiResult<Arc<Route>> {
        // Read the generation before the rows: a write racing with the reads
        // below then leaves this entry already stale, never wrongly fresh.
        let generation = p.store.generation();
        let fresh = |route: &Arc<Route>| route.generation == generation;
        // The common case: a qualifier that always runs one version (LATEST, a
        // version, an alias without weights), one lookup by the path's key.
        if let Some(route) = self.routes.get(split.key).map(|r| r.clone())
            && fresh(&route)
            && !route.resolved.weighted
        {
            return Ok(route);
        }
        let (service, qualifier) = split_qualifier(split.service_part);
        let resolved = p.resolve(service, qualifier, split.function).await?;
        let key = if resolved.weighted {
            format!("{}\n{}", split.key, resolved.version_id)
        } else {
            split.key.to_string()
        };
        if let Some(route) = self.routes.get(&key).map(|r| r.clone())
            && fresh(&route)
        {
            return Ok(route);
        }
        let weighted = resolved.weighted;
        let route = Arc::new(build(p, resolved, format!("{}/", split.key), generation).await?);
        if self.routes.len() >= MAX_ROUTES {
            self.routes.clear();
        }
        if weighted {
            // The path's own key says "weighted": the next request resolves.
            self.routes.insert(split.key.to_string(), route.clone());
        }
        self.routes.insert(key, route.clone());
        Ok(route)
    }
}

/// A route for a resolved version, with its HTTP trigger read from the store.
async fn build(
    p: &Platform,
    resolved: Arc<Resolved>,
    base_path: String,
    generation: u64,
) -> ApiResult<Route> {
    let (trigger, config) = http_trigger(p, &resolved).await?;
    let context = crate::invoke::context(p, &resolved, "", 0);
    let observer = crate::invoke::observe::Observer::new(p, &resolved, &trigger);
    Ok(Route {
        generation,
        resolved,
        config,
        base_path,
        context,
        observer,
        function: tokio::sync::OnceCell::new(),
    })
}

/// The function's HTTP trigger for the resolved qualifier: its name and config.
async fn http_trigger(p: &Platform, resolved: &Resolved) -> ApiResult<(String, HttpConfig)> {
    let service = resolved.service.service_name.as_str();
    let function = resolved.function.function_name.as_str();
    let trigger = super::of_function(p, service, function)
        .await?
        .into_iter()
        .find(|t| t.trigger_type == "http" && t.qualifier() == resolved.qualifier)
        .ok_or_else(|| {
            ApiError::not_found(
                Kind::Trigger,
                format!(
                    "HTTP trigger of {service}.{}/{function}",
                    resolved.qualifier
                ),
            )
        })?;
    let config = HttpConfig::parse(&trigger.trigger_config)
        .map_err(|e| ApiError::internal("reading a stored HTTP trigger's config", e))?;
    Ok((trigger.trigger_name, config))
}
