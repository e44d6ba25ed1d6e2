//! The TableStore (OTS) trigger's event, decoded.
//!
//! FC delivers a TableStore stream batch CBOR-encoded, not as JSON. [`decode`]
//! turns those bytes into typed records; FC's PascalCase keys (`Version`,
//! `Records`, `PrimaryKey`, `ColumnName`, ...) map onto the fields below.
//!
//! ```no_run
//! use wasm_fc_guest::{Context, Error, log, tablestore};
//!
//! fn handler(event: Vec<u8>, _ctx: &Context) -> Result<Vec<u8>, Error> {
//!     let batch = tablestore::decode(&event)?;
//!     for record in &batch.records {
//!         log::info!("{:?} of {:?} at {} µs", record.kind, record.primary_key, record.timestamp_us);
//!         for column in &record.columns {
//!             log::info!("  {:?} {} = {:?}", column.kind, column.name, column.value);
//!         }
//!     }
//!     Ok(b"OK".to_vec())
//! }
//!
//! wasm_fc_guest::export_event_handler!(handler);
//! ```

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, EnumAccess, VariantAccess, Visitor};

/// One trigger invocation's batch of row changes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StreamEvent {
    /// The format version, `Sync-v1`.
    #[serde(rename = "Version")]
    pub version: String,
    /// The changed rows, in stream order.
    #[serde(rename = "Records", default)]
    pub records: Vec<Record>,
}

/// One row change.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Record {
    /// FC `Type`.
    #[serde(rename = "Type")]
    pub kind: RecordType,
    /// FC `Info.Timestamp`: when the change was made, in microseconds since the epoch.
    #[serde(rename = "Info", deserialize_with = "info_timestamp")]
    pub timestamp_us: i64,
    /// FC `PrimaryKey`: the row's primary key columns, in schema order.
    #[serde(rename = "PrimaryKey", default)]
    pub primary_key: Vec<Cell>,
    /// FC `Columns`: the attribute column operations.
    #[serde(rename = "Columns", default)]
    pub columns: Vec<Column>,
}

/// What happened to the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum RecordType {
    PutRow,
    UpdateRow,
    DeleteRow,
}

/// A primary key column.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Cell {
    /// FC `ColumnName`.
    #[serde(rename = "ColumnName")]
    pub name: String,
    /// FC `Value`.
    #[serde(rename = "Value")]
    pub value: Value,
}

/// An attribute column operation.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Column {
    /// FC `Type`.
    #[serde(rename = "Type")]
    pub kind: ColumnType,
    /// FC `ColumnName`.
    #[serde(rename = "ColumnName")]
    pub name: String,
    /// FC `Value`; `None` when it is absent or null (deletions carry none).
    #[serde(rename = "Value", default)]
    pub value: Option<Value>,
    /// FC `Timestamp`: the cell version, in milliseconds since the epoch.
    #[serde(rename = "Timestamp", default)]
    pub timestamp_ms: Option<i64>,
}

/// What happened to the column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ColumnType {
    Put,
    DeleteOneVersion,
    DeleteAllVersions,
}

/// A TableStore column value. Tagged CBOR items decode as the item they tag.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Integer(i64),
    Boolean(bool),
    /// Half, single and double floats alike.
    Double(f64),
    String(String),
    /// A CBOR byte string.
    Blob(Vec<u8>),
    /// A null where a value is required (a [`Cell`]); a [`Column`]'s null is `None`.
    Null,
}

/// The bytes are not CBOR, or not a TableStore stream event.
#[derive(Debug)]
pub struct DecodeError(Inner);

#[derive(Debug)]
enum Inner {
    Cbor(ciborium::de::Error<std::io::Error>),
    TrailingBytes(usize),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Inner::Cbor(err) => write!(f, "invalid TableStore event: {err}"),
            Inner::TrailingBytes(n) => {
                write!(f, "invalid TableStore event: {n} bytes after the CBOR item")
            }
        }
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0 {
            Inner::Cbor(err) => Some(err),
            Inner::TrailingBytes(_) => None,
        }
    }
}

/// Decodes the CBOR event FC's TableStore trigger delivers.
pub fn decode(event: &[u8]) -> Result<StreamEvent, DecodeError> {
    let mut rest = event;
    let decoded = ciborium::from_reader(&mut rest).map_err(|e| DecodeError(Inner::Cbor(e)))?;
    if !rest.is_empty() {
        return Err(DecodeError(Inner::TrailingBytes(rest.len())));
    }
    Ok(decoded)
}

fn info_timestamp<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    struct Info {
        #[serde(rename = "Timestamp")]
        timestamp: i64,
    }
    Ok(Info::deserialize(deserializer)?.timestamp)
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an integer, boolean, float, text, byte string or null")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Boolean(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Integer(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Integer)
            .map_err(|_| E::custom(format!("integer {v} is out of the 64-bit signed range")))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Integer)
            .map_err(|_| E::custom(format!("integer {v} is out of the 64-bit signed range")))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Integer)
            .map_err(|_| E::custom(format!("integer {v} is out of the 64-bit signed range")))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Double(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Blob(v.to_vec()))
    }

    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Blob(v))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    // ciborium presents a CBOR tag as an enum; the value is the tagged item.
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let (_, variant) = data.variant::<de::IgnoredAny>()?;
        variant.newtype_variant()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ciborium::cbor;

    fn encode(value: &ciborium::Value) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::into_writer(value, &mut out).unwrap();
        out
    }

    #[test]
    fn decodes_a_sync_v1_event() {
        let event = cbor!({
            "Version" => "Sync-v1",
            "Records" => [
                {
                    "Type" => "PutRow",
                    "Info" => { "Timestamp" => 1_700_000_000_123_456_i64 },
                    "PrimaryKey" => [
                        { "ColumnName" => "id", "Value" => 1 },
                        { "ColumnName" => "name", "Value" => "ab" },
                    ],
                    "Columns" => [
                        { "Type" => "Put", "ColumnName" => "n", "Value" => -42, "Timestamp" => 1_700_000_000_123_i64 },
                        { "Type" => "Put", "ColumnName" => "f", "Value" => 1.5, "Timestamp" => 1 },
                        { "Type" => "Put", "ColumnName" => "pi", "Value" => std::f64::consts::PI, "Timestamp" => 1 },
                        { "Type" => "Put", "ColumnName" => "ok", "Value" => true, "Timestamp" => 1 },
                        { "Type" => "Put", "ColumnName" => "raw", "Value" => ciborium::Value::Bytes(vec![0, 1, 0xff]), "Timestamp" => 1 },
                        { "Type" => "DeleteOneVersion", "ColumnName" => "gone", "Value" => null, "Timestamp" => 5 },
                        { "Type" => "DeleteAllVersions", "ColumnName" => "all" },
                    ],
                },
                {
                    "Type" => "DeleteRow",
                    "Info" => { "Timestamp" => 2 },
                    "PrimaryKey" => [{ "ColumnName" => "id", "Value" => i64::MIN }],
                    "Columns" => [],
                },
            ],
        })
        .unwrap();

        let decoded = decode(&encode(&event)).unwrap();

        assert_eq!(decoded.version, "Sync-v1");
        assert_eq!(decoded.records.len(), 2);
        let put = &decoded.records[0];
        assert_eq!(put.kind, RecordType::PutRow);
        assert_eq!(put.timestamp_us, 1_700_000_000_123_456);
        assert_eq!(
            put.primary_key,
            vec![
                Cell {
                    name: "id".into(),
                    value: Value::Integer(1)
                },
                Cell {
                    name: "name".into(),
                    value: Value::String("ab".into())
                },
            ]
        );
        let column = |kind, name: &str, value, timestamp_ms| Column {
            kind,
            name: name.into(),
            value,
            timestamp_ms,
        };
        assert_eq!(
            put.columns,
            vec![
                column(
                    ColumnType::Put,
                    "n",
                    Some(Value::Integer(-42)),
                    Some(1_700_000_000_123)
                ),
                column(ColumnType::Put, "f", Some(Value::Double(1.5)), Some(1)),
                column(
                    ColumnType::Put,
                    "pi",
                    Some(Value::Double(std::f64::consts::PI)),
                    Some(1)
                ),
                column(ColumnType::Put, "ok", Some(Value::Boolean(true)), Some(1)),
                column(
                    ColumnType::Put,
                    "raw",
                    Some(Value::Blob(vec![0, 1, 0xff])),
                    Some(1)
                ),
                column(ColumnType::DeleteOneVersion, "gone", None, Some(5)),
                column(ColumnType::DeleteAllVersions, "all", None, None),
            ]
        );
        let delete = &decoded.records[1];
        assert_eq!(delete.kind, RecordType::DeleteRow);
        assert_eq!(delete.primary_key[0].value, Value::Integer(i64::MIN));
        assert!(delete.columns.is_empty());
    }

    #[test]
    fn shrunk_floats_decode_as_doubles() {
        // ciborium writes 1.5 as a half float (f9 3e00) and 0.1f32 as a single.
        let half = encode(&cbor!({ "ColumnName" => "x", "Value" => 1.5 }).unwrap());
        assert!(half.windows(3).any(|w| w == [0xf9, 0x3e, 0x00]));
        let cell: Cell = ciborium::from_reader(&half[..]).unwrap();
        assert_eq!(cell.value, Value::Double(1.5));
        let single = encode(&cbor!({ "ColumnName" => "x", "Value" => 0.1_f32 }).unwrap());
        let cell: Cell = ciborium::from_reader(&single[..]).unwrap();
        assert_eq!(cell.value, Value::Double(f64::from(0.1_f32)));
    }

    #[test]
    fn tagged_values_decode_as_the_tagged_item() {
        // 1(1363896240): an epoch-time tag around an integer.
        let bytes = [0xc1, 0x1a, 0x51, 0x4b, 0x67, 0xb0];
        let value: Value = ciborium::from_reader(&bytes[..]).unwrap();
        assert_eq!(value, Value::Integer(1_363_896_240));
    }

    #[test]
    fn rejects_malformed_events() {
        assert!(decode(&[]).is_err());
        // A map that promises one entry and ends.
        assert!(decode(&[0xa1]).is_err());
        // Valid CBOR, wrong shape.
        assert!(decode(&encode(&cbor!([1, 2]).unwrap())).is_err());
        let unknown = cbor!({
            "Version" => "Sync-v1",
            "Records" => [{ "Type" => "Upsert", "Info" => { "Timestamp" => 1 } }],
        })
        .unwrap();
        let err = decode(&encode(&unknown)).unwrap_err();
        assert!(
            err.to_string().starts_with("invalid TableStore event: "),
            "{err}"
        );
        // An integer beyond i64.
        let big = encode(&cbor!({ "ColumnName" => "id", "Value" => u64::MAX }).unwrap());
        assert!(ciborium::from_reader::<Cell, _>(&big[..]).is_err());
        // Trailing bytes.
        let mut trailing = encode(&cbor!({ "Version" => "Sync-v1", "Records" => [] }).unwrap());
        assert!(decode(&trailing).is_ok());
        trailing.push(0);
        assert!(decode(&trailing).is_err());
    }
}
