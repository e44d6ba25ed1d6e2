//! What a binary may declare before it is compiled: [`CompileLimits`], checked by
//! [`check`] with a `wasmparser` pass over the bytes (no validation, no code
//! generation: a few ms for a 40 MB component).
//!
//! Why: compile cost follows what a binary *declares*, not its upload size. A
//! 972-byte zip holding 200,000 empty functions compiled for 8-58 s at +1.2 GB
//! RSS (issue 15, item 14), about 6 KB of compiler memory per function.
//!
//! What this bounds and what it does not. wasmtime 48 has no compile time or
//! memory budget (no `Config` option cancels or caps a Cranelift compile once
//! it runs), so the budget is enforced on the inputs instead: the function
//! count, each body's size and all bodies' size together bound Cranelift's work
//! (roughly linear in the code, the per-body cap bounding the superlinear
//! register allocation of one huge function), and [`EngineConfig::max_concurrent_compiles`](crate::EngineConfig::max_concurrent_compiles)
//! bounds how many of those run at once. A compile that is within the limits is
//! not interrupted, however long it takes.
//!
//! Code the platform itself ships (the Python and Node.js runtime components,
//! compiled with [`Engine::precompile_into`](crate::Engine::precompile_into)) is
//! trusted and not checked. The defaults still let those components through
//! (they are tens of MB with tens of thousands of functions), so a runtime whose
//! artifact went missing is recompiled by [`Engine::load`](crate::Engine::load)
//! rather than refused.

use wasmparser::{Parser, Payload};

use crate::artifacts::WasmKind;
use crate::error::DeployError;

/// Upper bounds on what one binary (a core module, or a component with every
/// core module and component nested in it) may declare. Counts marked "in all"
/// are summed over the whole binary, nested modules included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileLimits {
    /// Functions with a body, in all. Default 100,000: the interpreters'
    /// components hold tens of thousands, a Rust guest a few thousand, and the
    /// 200,000 of the issue-15 probe (~1.2 GB of compiler memory) is refused.
    pub max_functions: u64,
    /// Bytes of one function body. Default 4 MiB: the largest bodies of real
    /// guests (an interpreter's dispatch loop) are a few hundred KB; one huge
    /// body is where register allocation turns superlinear.
    pub max_function_body_bytes: u64,
    /// Bytes of all function bodies, in all. Default 96 MiB: over twice the
    /// largest interpreter component (36-43 MB in all, code and data).
    pub max_code_bytes: u64,
    /// Memories one core module defines. Default 16: guests define one, the
    /// WASI adapter another; the pooling allocator's own per-module limit (2)
    /// still applies at instantiation.
    pub max_memories_per_module: u64,
    /// Tables one core module defines. Default 16, for the same reason (the
    /// pooling allocator allows 4 at instantiation).
    pub max_tables_per_module: u64,
    /// Data segments, in all. Default 100,000: wasmparser's own per-module
    /// ceiling; compilers emit one per static data region (a few hundred).
    pub max_data_segments: u64,
    /// Bytes of data segments, in all. Default 256 MiB: above any real guest's
    /// static data (an interpreter's is a few MB), and it becomes the artifact's
    /// memory image, so it bounds the artifact's size.
    pub max_data_bytes: u64,
    /// Element segments, in all. Default 100,000: wasmparser's per-module ceiling.
    pub max_element_segments: u64,
    /// Globals, in all. Default 100,000: a guest has a handful per module.
    pub max_globals: u64,
    /// Imports plus exports, core and component, in all. Default 100,000:
    /// a component wired to every WASI interface has a few hundred.
    pub max_imports_exports: u64,
    /// Types (core and component type entries), in all. Default 100,000.
    pub max_types: u64,
    /// Core modules and components nested in a component, at every level.
    /// Default 1,000: a componentized interpreter nests a few dozen.
    pub max_nested: u64,
    /// How deep components and modules nest. Default 16: real components are 2-3 deep.
    pub max_nesting_depth: u64,
}

impl Default for CompileLimits {
    fn default() -> Self {
        Self {
            max_functions: 100_000,
            max_function_body_bytes: 4 << 20,
            max_code_bytes: 96 << 20,
            max_memories_per_module: 16,
            max_tables_per_module: 16,
            max_data_segments: 100_000,
            max_data_bytes: 256 << 20,
            max_element_segments: 100_000,
            max_globals: 100_000,
            max_imports_exports: 100_000,
            max_types: 100_000,
            max_nested: 1_000,
            max_nesting_depth: 16,
        }
    }
}

impl CompileLimits {
    /// Checks `wasm` (a core module or a component) against these limits
    /// without compiling it: [`DeployError::LimitExceeded`] names the first
    /// limit passed; bytes that are not Wasm are `NotWasm` or `InvalidWasm`.
    pub fn check(&self, wasm: &[u8]) -> Result<(), DeployError> {
        check(wasm, crate::artifacts::wasm_kind(wasm)?, self)
    }
}

/// Names the binary in a refusal ("the module declares ...").
struct Refuse {
    binary: &'static str,
}

impl Refuse {
    /// Refuses when `found` passes `limit`; `name` is the [`CompileLimits`] field.
    fn at_most(
        &self,
        found: u64,
        limit: u64,
        what: &'static str,
        name: &'static str,
    ) -> Result<(), DeployError> {
        if found > limit {
            return Err(DeployError::LimitExceeded {
                binary: self.binary,
                found,
                what,
                limit,
                name,
            });
        }
        Ok(())
    }

    /// Adds `n` to a running `total` (summed over the whole binary), then checks it.
    fn add(
        &self,
        total: &mut u64,
        n: impl Into<u64>,
        limit: u64,
        what: &'static str,
        name: &'static str,
    ) -> Result<(), DeployError> {
        *total = total.saturating_add(n.into());
        self.at_most(*total, limit, what, name)
    }
}

/// Running totals of one binary, checked as they grow, so an oversized binary
/// is refused at its first oversized section.
#[derive(Default)]
struct Totals {
    depth: u64,
    nested: u64,
    functions: u64,
    code_bytes: u64,
    data_segments: u64,
    data_bytes: u64,
    element_segments: u64,
    globals: u64,
    imports_exports: u64,
    types: u64,
}

/// Refuses `wasm` when it declares more than `limits` allow; malformed bytes
/// are `InvalidWasm`. Reads section headers and counts, never function bodies.
pub(crate) fn check(
    wasm: &[u8],
    kind: WasmKind,
    limits: &CompileLimits,
) -> Result<(), DeployError> {
    let invalid = |e: wasmparser::BinaryReaderError| DeployError::InvalidWasm(e.to_string());
    let refuse = Refuse {
        binary: match kind {
            WasmKind::Module => "module",
            WasmKind::Component => "component",
        },
    };
    let l = limits;
    let mut t = Totals::default();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(invalid)? {
            // Every binary, the top one and each nested one, starts with a header.
            Payload::Version { .. } => {
                t.depth += 1;
                refuse.at_most(
                    t.depth,
                    l.max_nesting_depth,
                    "levels of nesting",
                    "max_nesting_depth",
                )?;
            }
            Payload::End(_) => t.depth = t.depth.saturating_sub(1),
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => refuse.add(
                &mut t.nested,
                1u64,
                l.max_nested,
                "nested modules and components",
                "max_nested",
            )?,
            Payload::FunctionSection(r) => refuse.add(
                &mut t.functions,
                r.count(),
                l.max_functions,
                "functions",
                "max_functions",
            )?,
            Payload::CodeSectionStart { size, .. } => refuse.add(
                &mut t.code_bytes,
                size,
                l.max_code_bytes,
                "bytes of code",
                "max_code_bytes",
            )?,
            Payload::CodeSectionEntry(body) => refuse.at_most(
                body.range().len() as u64,
                l.max_function_body_bytes,
                "bytes in one function body",
                "max_function_body_bytes",
            )?,
            Payload::MemorySection(r) => refuse.at_most(
                r.count().into(),
                l.max_memories_per_module,
                "memories in one module",
                "max_memories_per_module",
            )?,
            Payload::TableSection(r) => refuse.at_most(
                r.count().into(),
                l.max_tables_per_module,
                "tables in one module",
                "max_tables_per_module",
            )?,
            Payload::DataSection(r) => {
                refuse.add(
                    &mut t.data_segments,
                    r.count(),
                    l.max_data_segments,
                    "data segments",
                    "max_data_segments",
                )?;
                for data in r {
                    let len = data.map_err(invalid)?.data.len() as u64;
                    refuse.add(
                        &mut t.data_bytes,
                        len,
                        l.max_data_bytes,
                        "bytes of data",
                        "max_data_bytes",
                    )?;
                }
            }
            Payload::ElementSection(r) => refuse.add(
                &mut t.element_segments,
                r.count(),
                l.max_element_segments,
                "element segments",
                "max_element_segments",
            )?,
            Payload::GlobalSection(r) => refuse.add(
                &mut t.globals,
                r.count(),
                l.max_globals,
                "globals",
                "max_globals",
            )?,
            Payload::ImportSection(r) => refuse.add(
                &mut t.imports_exports,
                r.count(),
                l.max_imports_exports,
                "imports and exports",
                "max_imports_exports",
            )?,
            Payload::ExportSection(r) => refuse.add(
                &mut t.imports_exports,
                r.count(),
                l.max_imports_exports,
                "imports and exports",
                "max_imports_exports",
            )?,
            Payload::ComponentImportSection(r) => refuse.add(
                &mut t.imports_exports,
                r.count(),
                l.max_imports_exports,
                "imports and exports",
                "max_imports_exports",
            )?,
            Payload::ComponentExportSection(r) => refuse.add(
                &mut t.imports_exports,
                r.count(),
                l.max_imports_exports,
                "imports and exports",
                "max_imports_exports",
            )?,
            Payload::TypeSection(r) => {
                refuse.add(&mut t.types, r.count(), l.max_types, "types", "max_types")?
            }
            Payload::CoreTypeSection(r) => {
                refuse.add(&mut t.types, r.count(), l.max_types, "types", "max_types")?
            }
            Payload::ComponentTypeSection(r) => {
                refuse.add(&mut t.types, r.count(), l.max_types, "types", "max_types")?
            }
            _ => {}
        }
    }
    Ok(())
}
