//! Golden tests for manifest parsing: every file under `tests/manifests/` (and the
//! examples' own `s.yaml`) is parsed, and the result (the FC API bodies to deploy,
//! the warnings) or the error (file:line:col: field: message) is compared with its
//! snapshot under `tests/snapshots/`. Update them with `INSTA_UPDATE=always cargo test`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use wasm_fc_api::client::manifest;

/// A fixed environment, so snapshots do not depend on the machine.
fn env(name: &str) -> Option<String> {
    match name {
        "USER_NAME" => Some("ci".into()),
        "MODE" => Some("test".into()),
        _ => None,
    }
}

fn render(file: &Path, root: &Path) -> String {
    let text = match manifest::load_with_env(file, &env) {
        Ok(m) => serde_json::to_string_pretty(&m).unwrap(),
        Err(e) => format!("error: {e}"),
    };
    text.replace(&root.display().to_string(), "<dir>")
}

#[test]
fn manifests_match_their_snapshots() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/manifests");
    insta::glob!("manifests/*.y*ml", |path| {
        insta::assert_snapshot!(render(path, &dir));
    });
}

#[test]
fn the_examples_manifest_parses() {
    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let file = examples.join("s.yaml");
    let manifest = manifest::load_with_env(&file, &env).unwrap();
    let functions: Vec<&str> = manifest.services[0]
        .functions
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(manifest.services.len(), 1, "one service, `examples`");
    assert_eq!(functions.len(), 6, "{functions:?}");
    assert!(manifest.warnings.is_empty(), "{:?}", manifest.warnings);
    insta::assert_snapshot!(
        render(&file, &examples.canonicalize().unwrap())
            .replace(&examples.display().to_string(), "<dir>")
    );
}
