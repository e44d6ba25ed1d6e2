//! Resolve: `service[.qualifier]` + function → the function version that runs,
//! from memory while the store is unchanged ([`super::resolve_cache`]).

use std::sync::Arc;

use serde_json::Value;

use super::error::{ApiError, ApiResult, store_error};
use super::model::str_of;
use super::names::version_key;
use super::plane::ControlPlane;
use super::resources::{Alias, Function, Service, from_row};
use super::runtimes::{self, RuntimeKind};
use super::store::{Kind, ListQuery};

/// A function version resolved from a qualifier, ready to invoke.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub service: Service,
    pub function: Function,
    /// The function's stored JSON, as GetFunction answers it.
    pub function_row: Value,
    /// `LATEST`, a version id, or an alias name, as asked.
    pub qualifier: String,
    /// The version that runs; empty for LATEST.
    pub version_id: String,
    /// The qualifier is an alias that splits calls between versions by
    /// weight: the same qualifier resolves to another version on another call.
    pub weighted: bool,
    /// A Python or Node.js function with an HTTP trigger: events reach it as
    /// `POST /invoke` requests.
    pub interpreted_http: bool,
}

impl ControlPlane {
    /// The stored row, or FC's NotFound error for `resource`.
    pub async fn existing(&self, kind: Kind, scope: &str, name: &str) -> ApiResult<Value> {
        self.store
            .get(kind, scope, name)
            .await
            .map_err(store_error(kind, name))?
            .ok_or_else(|| ApiError::not_found(kind, name))
    }

    /// Resolves `service[.qualifier]` + function to what runs: from memory while
    /// the store is unchanged ([`crate::control::resolve_cache`]), else from the store.
    /// An alias's weights are rolled on every call, cached or not.
    pub async fn resolve(
        &self,
        service: &str,
        qualifier: Option<&str>,
        function: &str,
    ) -> ApiResult<Arc<Resolved>> {
        // Before any read: see resolve_cache's note on races.
        let generation = self.store.generation();
        let qualifier = qualifier.unwrap_or("LATEST");
        let mut weighted = false;
        let version_id = if qualifier == "LATEST" {
            String::new()
        } else if qualifier.parse::<u64>().is_ok() {
            qualifier.to_string()
        } else {
            let alias = match self.cached_row(Kind::Alias, service, qualifier).await? {
                Some(alias) => alias,
                None => {
                    // A missing service is ServiceNotFound, not AliasNotFound.
                    self.existing(Kind::Service, "", service).await?;
                    return Err(ApiError::not_found(Kind::Alias, qualifier));
                }
            };
            let alias = from_row::<Alias>(&alias)?;
            weighted = !alias.additional_version_weight.is_empty();
            alias.pick_version(roll()).to_string()
        };
        let parts = [service, qualifier, version_id.as_str(), function];
        if let Some(hit) = self.resolve_cache.resolved(generation, &parts) {
            return Ok(hit);
        }
        let resolved = Arc::new(
            self.resolve_from_store(service, qualifier, version_id.clone(), function, weighted)
                .await?,
        );
        self.resolve_cache
            .keep_resolved(generation, &parts, resolved.clone());
        Ok(resolved)
    }

    /// A row, from memory while the store is unchanged.
    pub async fn cached_row(
        &self,
        kind: Kind,
        scope: &str,
        name: &str,
    ) -> ApiResult<Option<Arc<Value>>> {
        let generation = self.store.generation();
        if let Some(hit) = self.resolve_cache.row(generation, kind, scope, name) {
            return Ok(hit);
        }
        let row = self
            .store
            .get(kind, scope, name)
            .await
            .map_err(store_error(kind, name))?
            .map(Arc::new);
        self.resolve_cache
            .keep_row(generation, kind, scope, name, row.clone());
        Ok(row)
    }

    /// [`ControlPlane::resolve`]'s reads.
    async fn resolve_from_store(
        &self,
        service: &str,
        qualifier: &str,
        version_id: String,
        function: &str,
        weighted: bool,
    ) -> ApiResult<Resolved> {
        let svc = self.existing(Kind::Service, "", service).await?;
        // An FC 3.0 function's Python or Node.js handler is an event handler
        // even with an HTTP trigger: FC 3.0 passes HTTP requests as events.
        let fc3_model = crate::control::fc3_names::is_fc3_service(&svc);
        let (service_row, function_row) = if version_id.is_empty() {
            let func = self.existing(Kind::Function, service, function).await?;
            (svc, func)
        } else {
            let version = self
                .store
                .get(Kind::Version, service, &version_key(&version_id))
                .await
                .map_err(store_error(Kind::Version, &version_id))?
                .ok_or_else(|| ApiError::not_found(Kind::Version, &version_id))?;
            let func = version["_functions"]
                .as_array()
                .and_then(|fns| fns.iter().find(|f| f["functionName"] == function))
                .cloned()
                .ok_or_else(|| ApiError::not_found(Kind::Function, function))?;
            (version["_service"].clone(), func)
        };
        let interpreted_http = !fc3_model
            && self
                .is_interpreted_http_function(service, &function_row)
                .await?;
        Ok(Resolved {
            service: from_row(&service_row)?,
            function: from_row(&function_row)?,
            function_row,
            qualifier: qualifier.to_string(),
            version_id,
            weighted,
            interpreted_http,
        })
    }

    /// Whether a Python or Node.js function is an HTTP function: it has an HTTP
    /// trigger, so its handler is WSGI / `(req, resp, context)`, and an event is
    /// delivered to it as `POST /invoke` (see `Function::invoke_as_http_request`),
    /// as it is to every wasi:http component. Wasm functions need no lookup: their
    /// ABI says what they are.
    async fn is_interpreted_http_function(
        &self,
        service: &str,
        function: &Value,
    ) -> ApiResult<bool> {
        if !matches!(
            runtimes::classify(str_of(function, "runtime"))?,
            RuntimeKind::Interpreted(_)
        ) {
            return Ok(false);
        }
        let scope = format!("{service}/{}", str_of(function, "functionName"));
        let query = ListQuery {
            limit: 10_000,
            ..ListQuery::default()
        };
        let triggers = self.store.list(Kind::Trigger, &scope, &query).await?;
        Ok(triggers.items.iter().any(|t| t["triggerType"] == "http"))
    }
}

/// A uniform roll in 0..1 for weighted alias routing.
fn roll() -> f64 {
    (uuid::Uuid::new_v4().as_u128() % 1_000_000) as f64 / 1_000_000.0
}
