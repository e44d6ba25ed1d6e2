//! The manifest readers: Serverless Devs `s.yaml` and funcraft `template.yml`
//! (`manifest::parse` picks the flavour from the content), on the whole input as
//! YAML text. `${env.X}` resolves from a fixed map. codeUri paths resolve under a
//! directory that does not exist, so nothing on disk is read. `FUZZ_DEBUG=1`
//! prints the result (when replaying one input).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use wasm_fc_api::client::manifest;

fn env(name: &str) -> Option<String> {
    match name {
        "REGION" => Some("cn-hangzhou".into()),
        "ACCOUNT" => Some("1234567890".into()),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = Path::new("/nonexistent-wasm-fc-fuzz/s.yaml");
    let result = manifest::parse(text, file, &env);
    if std::env::var_os("FUZZ_DEBUG").is_some() {
        eprintln!("{result:#?}");
    }
    match result {
        Ok(parsed) => {
            let _ = serde_json::to_string(&parsed);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
