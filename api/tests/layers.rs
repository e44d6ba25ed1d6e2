//! The platform's layers, checked on its source (issue 16; docs/architecture.md):
//! each layer imports only the layers below it, only `http` knows the web
//! framework (axum, hyper, tower), and the engine's modules form no cycle.
//!
//! Layers, lowest first, by the top-level module a file lives in:
//! `control` < `invoke` < `triggers` < `http` < `client` < `cli` < the root
//! (`lib.rs`, `main.rs`, `app.rs`: the composition root).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test panics on a broken invariant

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first, with the top-level modules each holds.
const LAYERS: &[(&str, &[&str])] = &[
    ("control", &["control"]),
    ("invoke", &["invoke"]),
    ("triggers", &["triggers"]),
    ("http", &["http"]),
    ("client", &["client"]),
    ("cli", &["cli"]),
    ("root", &["app", "lib", "main"]),
];

/// Crates only the `http` layer may name.
const WEB_CRATES: &[&str] = &[
    "axum",
    "hyper",
    "hyper_util",
    "tower",
    "utoipa",
    "utoipa_axum",
];

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The file's module path under `src`: `invoke/queue.rs` → `["invoke", "queue"]`,
/// `invoke/mod.rs` → `["invoke"]`, `lib.rs` → `[]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The file without comments (doc links name modules without importing them).
fn code_of(file: &Path) -> String {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_at(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The top-level modules of this crate a file names: `crate::x`, `use crate::{x, y}`
/// and `super::` chains that climb to the crate root.
fn top_modules_named(code: &str, own: &[String]) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        if at > 0 && code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue; // `wasm_fc_crate::`, not ours
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name = ident_at(item.trim());
                if !name.is_empty() {
                    named.insert(name);
                }
            }
        } else {
            named.insert(ident_at(rest));
        }
    }
    // `super::super::x` from `a/b/c.rs` (module a::b::c) climbs to the root.
    for (at, _) in code.match_indices("super::") {
        if at >= "super::".len() && code[..at].ends_with("super::") {
            continue; // counted from the first `super::` of the chain
        }
        let mut rest = &code[at..];
        let mut depth = 0;
        while let Some(r) = rest.strip_prefix("super::") {
            depth += 1;
            rest = r;
        }
        if depth >= own.len() {
            named.insert(ident_at(rest));
        }
    }
    named.remove("");
    named
}

fn layer_of(top: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&top))
}

#[test]
fn each_layer_imports_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(&src) {
        let path = module_path(&src, &file);
        let top = path
            .first()
            .cloned()
            .unwrap_or_else(|| file.file_stem().unwrap().to_string_lossy().into_owned());
        let Some(own_layer) = layer_of(&top) else {
            violations.push(format!(
                "{}: the top-level module `{top}` is in no layer",
                file.display()
            ));
            continue;
        };
        for named in top_modules_named(&code_of(&file), &path) {
            let Some(layer) = layer_of(&named) else {
                violations.push(format!(
                    "{}: names `crate::{named}`, in no layer",
                    file.display()
                ));
                continue;
            };
            if layer > own_layer {
                violations.push(format!(
                    "{}: the {} layer imports `{named}` of the {} layer above it",
                    file.display(),
                    LAYERS[own_layer].0,
                    LAYERS[layer].0
                ));
            }
            if layer != own_layer {
                graph
                    .entry(LAYERS[own_layer].0.to_string())
                    .or_default()
                    .insert(LAYERS[layer].0.to_string());
            }
        }
    }
    eprintln!("layer imports: {graph:#?}");
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn only_the_http_layer_knows_the_web_framework() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    for file in rust_files(&src) {
        let path = module_path(&src, &file);
        if path.first().map(String::as_str) == Some("http") {
            continue;
        }
        let code = code_of(&file);
        for web in WEB_CRATES {
            let named = code.match_indices(&format!("{web}::")).any(|(at, _)| {
                at == 0 || !code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_')
            });
            if named {
                violations.push(format!("{}: names `{web}`", file.display()));
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

/// The engine's files, as a graph of `crate::` imports between its modules
/// (`abi/runtime.rs` is `abi::runtime`); it must have no cycle.
#[test]
fn the_engine_has_no_import_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/src");
    let files = rust_files(&src);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_path(&src, f)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let own = module_path(&src, file);
        let code = code_of(file);
        for (at, _) in code.match_indices("crate::") {
            let mut target: Vec<String> = Vec::new();
            let mut rest = &code[at + "crate::".len()..];
            loop {
                let name = ident_at(rest);
                if name.is_empty() {
                    break;
                }
                let mut candidate = target.clone();
                candidate.push(name.clone());
                if !modules.contains(&candidate) {
                    break;
                }
                target = candidate;
                rest = &rest[name.len()..];
                match rest.strip_prefix("::") {
                    Some(r) => rest = r,
                    None => break,
                }
            }
            // A module and the modules inside it are one unit (a parent may
            // re-export its children); edges run between distinct units.
            if target.is_empty() || target.starts_with(&own) || own.starts_with(&target) {
                continue;
            }
            edges
                .entry(own.join("::"))
                .or_default()
                .insert(target.join("::"));
        }
    }
    // Depth-first search for a back edge.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(node) {
            Some(1) => {
                let start = stack.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = stack[start..].to_vec();
                cycle.push(node.to_string());
                return Some(cycle);
            }
            Some(_) => return None,
            None => {}
        }
        state.insert(node.to_string(), 1);
        stack.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, state, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in edges.keys() {
        if let Some(cycle) = visit(node, &edges, &mut state, &mut Vec::new()) {
            panic!("engine import cycle: {}", cycle.join(" → "));
        }
    }
}
