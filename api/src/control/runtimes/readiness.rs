//! What `/readyz` waits for on the runtimes' side: only the runtimes that a
//! deployed function needs and that are still being built. A platform whose
//! functions are all Wasm is ready while Python and Node.js build in the
//! background; one with a Python function waits for Python.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Language, RuntimeKind, Runtimes, classify};
use crate::control::store::{Kind, StoreError, StoreHandle};

/// The interpreted languages the stored functions and version snapshots need,
/// from each one's `runtime`. A runtime name that is not valid needs nothing.
pub fn needed_by<'a>(functions: impl IntoIterator<Item = &'a Value>) -> BTreeSet<Language> {
    functions
        .into_iter()
        .filter_map(|function| function["runtime"].as_str())
        .filter_map(|runtime| match classify(runtime) {
            Ok(RuntimeKind::Interpreted(language)) => Some(language),
            Ok(RuntimeKind::Wasm) | Err(_) => None,
        })
        .collect()
}

/// The runtimes `/readyz` waits for: those being built that a deployed
/// function (LATEST or a published version) needs. Reads the store only while
/// some runtime is being built, so a settled platform answers without it.
/// A runtime that failed to build is not waited for: it will not become ready
/// by waiting, and its functions answer a 400 that says why.
pub async fn waiting_for(
    runtimes: &Runtimes,
    store: &StoreHandle,
) -> Result<Vec<Language>, StoreError> {
    let installing = runtimes.installing();
    if installing.is_empty() {
        return Ok(Vec::new());
    }
    let functions = store.list_all(Kind::Function).await?;
    let versions = store.list_all(Kind::Version).await?;
    let snapshots = versions
        .iter()
        .filter_map(|version| version["_functions"].as_array())
        .flatten();
    let needed = needed_by(functions.iter().chain(snapshots));
    Ok(installing
        .into_iter()
        .filter(|language| needed.contains(language))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_interpreted_runtimes_are_needed() {
        let rows = [
            json!({"runtime": "custom"}),
            json!({"runtime": "wasm"}),
            json!({"runtime": "java8"}),
            json!({}),
        ];
        assert!(needed_by(&rows).is_empty());
        let rows = [
            json!({"runtime": "custom"}),
            json!({"runtime": "python3.9"}),
        ];
        assert_eq!(
            needed_by(&rows).into_iter().collect::<Vec<_>>(),
            vec![Language::Python]
        );
        let rows = [
            json!({"runtime": "nodejs20"}),
            json!({"runtime": "python3"}),
        ];
        assert_eq!(needed_by(&rows).len(), 2);
    }

    #[tokio::test]
    async fn waits_only_for_runtimes_being_built_that_are_deployed() {
        let dir = tempfile::tempdir().unwrap();
        let store = StoreHandle::new(std::sync::Arc::new(
            crate::control::store::sqlite::SqliteStore::open(&dir.path().join("db")).unwrap(),
        ));
        let runtimes = Runtimes::open(Some(dir.path().to_path_buf()));
        // Nothing is being built: nothing to wait for.
        assert!(waiting_for(&runtimes, &store).await.unwrap().is_empty());
        runtimes.mark_installing();
        // Building, but only Wasm is deployed.
        store
            .insert(Kind::Function, "svc", "w", &json!({"runtime": "custom"}))
            .await
            .unwrap();
        assert!(waiting_for(&runtimes, &store).await.unwrap().is_empty());
        // A published version snapshot with a Node.js function.
        store
            .insert(
                Kind::Version,
                "svc",
                "1",
                &json!({"_functions": [{"runtime": "nodejs18"}]}),
            )
            .await
            .unwrap();
        assert_eq!(
            waiting_for(&runtimes, &store).await.unwrap(),
            vec![Language::Nodejs]
        );
        // And a LATEST Python function.
        store
            .insert(
                Kind::Function,
                "svc",
                "p",
                &json!({"runtime": "python3.10"}),
            )
            .await
            .unwrap();
        assert_eq!(waiting_for(&runtimes, &store).await.unwrap().len(), 2);
    }
}
