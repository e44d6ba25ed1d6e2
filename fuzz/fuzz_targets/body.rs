//! JSON request bodies: `Fields::parse`, then the model constructors a create or
//! update runs (`new_service`, `new_function`, `apply_service`,
//! `apply_function`). Names come from the body (`serviceName`/`functionName`)
//! when it has them, so name validation is fuzzed too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasm_fc_api::control::body::Fields;
use wasm_fc_api::control::model;

fuzz_target!(|data: &[u8]| {
    let Ok(fields) = Fields::parse(data) else {
        return;
    };
    let service_name = fields
        .string("serviceName")
        .ok()
        .flatten()
        .unwrap_or_else(|| "svc".into());
    let function_name = fields
        .string("functionName")
        .ok()
        .flatten()
        .unwrap_or_else(|| "fn".into());
    if let Ok(service) = model::new_service(&service_name, &fields) {
        let again = model::apply_service(service, &fields).expect("an update with the create body");
        let _ = serde_json::to_string(&again);
    }
    if let Ok(function) = model::new_function(&function_name, &fields) {
        let again =
            model::apply_function(function, &fields).expect("an update with the create body");
        let _ = serde_json::to_string(&again);
    }
    let _ = model::apply_function(serde_json::Map::new(), &fields);
    let _ = model::apply_service(serde_json::Map::new(), &fields);
});
