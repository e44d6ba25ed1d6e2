//! Captured changes as FC's TableStore stream records, CBOR-encoded
//! (fc-events.md §1.7): `{"Version": "Sync-v1", "Records": [...]}`.
//!
//! - INSERT → `PutRow`: the key columns, and every other non-NULL column as
//!   a `Put`.
//! - UPDATE → `UpdateRow`: the key columns, and each column whose value
//!   changed: `Put` with the new value, or `DeleteOneVersion` when it became
//!   NULL. An UPDATE that changes the key is a `DeleteRow` of the old key
//!   and a `PutRow` of the new one (a TableStore key never changes).
//! - DELETE → `DeleteRow`: the key columns only.
//!
//! `Info.Timestamp` is the change's time in µs and each column's `Timestamp`
//! in ms, as FC's example has them. Values map as TableStore's types do:
//! integers → Integer, other numbers → Double, text → String, booleans →
//! Boolean; anything else (JSON, arrays, timestamps as text) → String of its
//! JSON text. `bytea` arrives as PostgreSQL's hex text (`\x…`).

use ciborium::Value as Cbor;
use serde_json::{Map, Value};

use super::capture::Change;

fn text(s: &str) -> Cbor {
    Cbor::Text(s.to_string())
}

fn map(entries: Vec<(&str, Cbor)>) -> Cbor {
    Cbor::Map(entries.into_iter().map(|(k, v)| (text(k), v)).collect())
}

/// A column value as TableStore types it; `None` for NULL.
fn value(v: &Value) -> Option<Cbor> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => Cbor::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Cbor::Integer(i.into()),
            (None, Some(u)) => Cbor::Integer(u.into()),
            _ => Cbor::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => text(s),
        other => text(&other.to_string()),
    })
}

fn primary_key(pk: &[String], row: &Map<String, Value>) -> Cbor {
    Cbor::Array(
        pk.iter()
            .map(|c| {
                map(vec![
                    ("ColumnName", text(c)),
                    ("Value", value(&row[c]).unwrap_or(Cbor::Null)),
                ])
            })
            .collect(),
    )
}

fn put(column: &str, v: Cbor, ts_ms: i64) -> Cbor {
    map(vec![
        ("Type", text("Put")),
        ("ColumnName", text(column)),
        ("Value", v),
        ("Timestamp", Cbor::Integer(ts_ms.into())),
    ])
}

fn record(kind: &str, ts_us: i64, pk: Cbor, columns: Vec<Cbor>) -> Cbor {
    map(vec![
        ("Type", text(kind)),
        (
            "Info",
            map(vec![("Timestamp", Cbor::Integer(ts_us.into()))]),
        ),
        ("PrimaryKey", pk),
        ("Columns", Cbor::Array(columns)),
    ])
}

fn object(v: &Option<Value>) -> Map<String, Value> {
    match v {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    }
}

/// The records of one change (two for a key-changing UPDATE).
pub fn records_of(pk: &[String], change: &Change) -> Vec<Cbor> {
    let ts_ms = change.ts_us / 1000;
    let (old, new) = (object(&change.old), object(&change.new));
    let is_key = |c: &String| pk.contains(c);
    let puts = |row: &Map<String, Value>| -> Vec<Cbor> {
        row.iter()
            .filter(|(c, _)| !is_key(c))
            .filter_map(|(c, v)| value(v).map(|v| put(c, v, ts_ms)))
            .collect()
    };
    match change.op.as_str() {
        "INSERT" => vec![record(
            "PutRow",
            change.ts_us,
            primary_key(pk, &new),
            puts(&new),
        )],
        "DELETE" => vec![record(
            "DeleteRow",
            change.ts_us,
            primary_key(pk, &old),
            Vec::new(),
        )],
        _ if pk.iter().any(|c| old.get(c) != new.get(c)) => vec![
            record("DeleteRow", change.ts_us, primary_key(pk, &old), Vec::new()),
            record("PutRow", change.ts_us, primary_key(pk, &new), puts(&new)),
        ],
        _ => {
            let columns = new
                .iter()
                .filter(|(c, v)| !is_key(c) && old.get(*c) != Some(*v))
                .map(|(c, v)| match value(v) {
                    Some(v) => put(c, v, ts_ms),
                    None => map(vec![
                        ("Type", text("DeleteOneVersion")),
                        ("ColumnName", text(c)),
                        ("Timestamp", Cbor::Integer(ts_ms.into())),
                    ]),
                })
                .collect();
            vec![record(
                "UpdateRow",
                change.ts_us,
                primary_key(pk, &new),
                columns,
            )]
        }
    }
}

/// The CBOR event of a batch of records.
pub fn encode(records: Vec<Cbor>) -> Vec<u8> {
    let event = map(vec![
        ("Version", text("Sync-v1")),
        ("Records", Cbor::Array(records)),
    ]);
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = ciborium::into_writer(&event, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(op: &str, old: Option<Value>, new: Option<Value>) -> Change {
        Change {
            seq: 1,
            op: op.into(),
            ts_us: 1_506_416_585_740_836,
            old,
            new,
        }
    }

    fn decoded(records: Vec<Cbor>) -> Value {
        let bytes = encode(records);
        let value: Cbor = ciborium::from_reader(bytes.as_slice()).unwrap();
        serde_json::to_value(value).unwrap()
    }

    #[test]
    fn inserts_updates_and_deletes_become_fcs_records() {
        let pk = vec!["id".to_string()];
        let insert = change(
            "INSERT",
            None,
            Some(json!({"id": 1, "name": "a", "score": 1.5, "gone": null})),
        );
        let update = change(
            "UPDATE",
            Some(json!({"id": 1, "name": "a", "score": 1.5})),
            Some(json!({"id": 1, "name": "b", "score": null})),
        );
        let delete = change("DELETE", Some(json!({"id": 1, "name": "b"})), None);
        let mut all = records_of(&pk, &insert);
        all.extend(records_of(&pk, &update));
        all.extend(records_of(&pk, &delete));
        let event = decoded(all);
        assert_eq!(event["Version"], "Sync-v1");
        let r = &event["Records"];
        assert_eq!(r[0]["Type"], "PutRow");
        assert_eq!(r[0]["Info"]["Timestamp"], 1_506_416_585_740_836i64);
        assert_eq!(
            r[0]["PrimaryKey"],
            json!([{"ColumnName": "id", "Value": 1}])
        );
        assert_eq!(
            r[0]["Columns"].as_array().unwrap().len(),
            2,
            "NULL columns are left out: {}",
            r[0]
        );
        assert_eq!(r[0]["Columns"][0]["Timestamp"], 1_506_416_585_740i64);
        assert_eq!(r[1]["Type"], "UpdateRow");
        let columns = r[1]["Columns"].as_array().unwrap();
        assert!(columns.contains(&json!({"Type": "Put", "ColumnName": "name", "Value": "b", "Timestamp": 1_506_416_585_740i64})));
        assert!(columns.contains(&json!({"Type": "DeleteOneVersion", "ColumnName": "score", "Timestamp": 1_506_416_585_740i64})));
        assert_eq!(r[2]["Type"], "DeleteRow");
        assert_eq!(r[2]["Columns"], json!([]));
        let moved = records_of(
            &pk,
            &change("UPDATE", Some(json!({"id": 1})), Some(json!({"id": 2}))),
        );
        let moved = decoded(moved);
        assert_eq!(
            (
                moved["Records"][0]["Type"].as_str(),
                moved["Records"][1]["Type"].as_str()
            ),
            (Some("DeleteRow"), Some("PutRow"))
        );
    }
}
