//! A TableStore trigger handler for the tests: decodes FC's CBOR event with
//! the guest SDK's one-line helper and logs each record as
//! `record {"type","pk","columns"}` JSON.
//!
//! - `TABLE_SLEEP_MS=<ms>`: sleeps per invocation (a stream still running
//!   when the platform is killed).
//! - `TABLE_FAIL_ONCE_ON=<text>`: fails while the batch mentions the text and
//!   the instance has not failed yet (a retried batch).

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};
use wasm_fc_guest::tablestore::{self, ColumnType, RecordType, Value as Cell};
use wasm_fc_guest::{Context, Error, log};

static FAILED: AtomicBool = AtomicBool::new(false);

fn json_of(value: &Cell) -> Value {
    match value {
        Cell::Integer(i) => json!(i),
        Cell::Boolean(b) => json!(b),
        Cell::Double(d) => json!(d),
        Cell::String(s) => json!(s),
        Cell::Blob(b) => json!({ "blob": b }),
        Cell::Null => Value::Null,
    }
}

fn handler(event: Vec<u8>, _ctx: &Context) -> Result<String, Error> {
    let batch = tablestore::decode(&event)?;
    let mut lines = Vec::new();
    for record in &batch.records {
        let kind = match record.kind {
            RecordType::PutRow => "PutRow",
            RecordType::UpdateRow => "UpdateRow",
            RecordType::DeleteRow => "DeleteRow",
        };
        let pk: Vec<Value> = record
            .primary_key
            .iter()
            .map(|c| json!({ "name": c.name, "value": json_of(&c.value) }))
            .collect();
        let columns: Vec<Value> = record
            .columns
            .iter()
            .map(|c| {
                let op = match c.kind {
                    ColumnType::Put => "Put",
                    ColumnType::DeleteOneVersion => "DeleteOneVersion",
                    ColumnType::DeleteAllVersions => "DeleteAllVersions",
                };
                json!({ "type": op, "name": c.name, "value": c.value.as_ref().map(json_of), "ts": c.timestamp_ms })
            })
            .collect();
        let line = json!({ "version": batch.version, "type": kind, "ts": record.timestamp_us, "pk": pk, "columns": columns });
        lines.push(line.to_string());
    }
    if let Ok(text) = std::env::var("TABLE_FAIL_ONCE_ON")
        && lines.iter().any(|l| l.contains(&text))
        && !FAILED.swap(true, Ordering::SeqCst)
    {
        return Err(Error::typed(
            "Failed",
            "failing once on purpose (TABLE_FAIL_ONCE_ON)",
        ));
    }
    for line in &lines {
        log::info!("record {line}");
    }
    if let Some(ms) = std::env::var("TABLE_SLEEP_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    Ok(format!("{} records", lines.len()))
}

wasm_fc_guest::export_event_handler!(handler);
