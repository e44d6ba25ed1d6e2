//! YAML to JSON with the source position of every node, so that every manifest
//! error can name its file, line and field. Parsed with saphyr (a YAML 1.2 parser
//! that keeps spans); aliases are expanded, tags (`!Ref`) are refused with a clear message.

use std::collections::HashMap;

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use serde_json::{Map, Number, Value};

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    pub line: usize,
    pub col: usize,
}

/// A parse problem before any field is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub at: Position,
    pub field: String,
    pub message: String,
}

/// A YAML document as JSON plus where each field came from.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub root: Value,
    /// Field path (`services.app.props.function.timeout`, `triggers[0]`) → position.
    positions: HashMap<String, Position>,
}

impl Document {
    /// Parses the first document of `text`.
    pub fn parse(text: &str) -> Result<Self, YamlError> {
        let docs = MarkedYaml::load_from_str(text).map_err(|e| YamlError {
            at: Position {
                line: e.marker().line(),
                col: e.marker().col() + 1,
            },
            field: String::new(),
            message: format!("not valid YAML: {}", e.info()),
        })?;
        let mut document = Document::default();
        if let Some(first) = docs.first() {
            document.root = convert(first, "", &mut document.positions)?;
        }
        Ok(document)
    }

    /// Where `field` is, or its nearest ancestor that exists (a missing key is
    /// reported at the mapping that lacks it).
    pub fn position(&self, field: &str) -> Position {
        let mut path = field;
        loop {
            if let Some(p) = self.positions.get(path) {
                return *p;
            }
            match path.rfind(['.', '[']) {
                Some(i) => path = &path[..i],
                None => return self.positions.get("").copied().unwrap_or_default(),
            }
        }
    }
}

/// `parent.key`, or `key` at the root.
pub fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

fn position_of(node: &MarkedYaml<'_>) -> Position {
    Position {
        line: node.span.start.line(),
        col: node.span.start.col() + 1,
    }
}

fn convert(
    node: &MarkedYaml<'_>,
    path: &str,
    positions: &mut HashMap<String, Position>,
) -> Result<Value, YamlError> {
    let at = position_of(node);
    positions.insert(path.to_string(), at);
    let refuse = |message: String| YamlError {
        at,
        field: path.to_string(),
        message,
    };
    Ok(match &node.data {
        YamlData::Value(scalar) => scalar_value(scalar),
        YamlData::Representation(text, ..) => Value::String(text.to_string()),
        YamlData::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(convert(item, &format!("{path}[{i}]"), positions)?);
            }
            Value::Array(out)
        }
        YamlData::Mapping(entries) => {
            let mut out = Map::new();
            for (key, value) in entries {
                let name = match &key.data {
                    YamlData::Value(Scalar::String(s)) => s.to_string(),
                    YamlData::Value(other) => match scalar_value(other) {
                        Value::String(s) => s,
                        v => v.to_string(),
                    },
                    _ => return Err(refuse("mapping keys must be plain scalars".into())),
                };
                let child = join(path, &name);
                if out.contains_key(&name) {
                    return Err(YamlError {
                        at: position_of(key),
                        field: child,
                        message: "this key appears twice".into(),
                    });
                }
                let converted = convert(value, &child, positions)?;
                positions.insert(child, position_of(key));
                out.insert(name, converted);
            }
            Value::Object(out)
        }
        YamlData::Tagged(tag, _) => {
            return Err(refuse(format!(
                "YAML tags ({tag}) are not supported; write the value itself"
            )));
        }
        YamlData::Alias(_) => {
            return Err(refuse(
                "YAML anchors and aliases are not supported; repeat the value".into(),
            ));
        }
        YamlData::BadValue => return Err(refuse("a value that cannot be read".into())),
    })
}

fn scalar_value(scalar: &Scalar<'_>) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::Number((*i).into()),
        Scalar::FloatingPoint(f) => Number::from_f64(f.into_inner())
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Scalar::String(s) => Value::String(s.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn keeps_positions_of_nested_fields() {
        let doc = Document::parse("a:\n  b: 1\n  list:\n    - x: true\n").unwrap();
        assert_eq!(doc.root["a"]["list"][0]["x"], Value::Bool(true));
        assert_eq!(doc.position("a.b"), Position { line: 2, col: 3 });
        assert_eq!(doc.position("a.list[0].x").line, 4);
        assert_eq!(
            doc.position("a.missing").line,
            1,
            "falls back to the parent"
        );
    }

    #[test]
    fn refuses_duplicates_aliases_and_bad_yaml() {
        let dup = Document::parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(dup.at.line, 2, "{dup:?}");
        let alias = Document::parse("a: &x 1\nb: *x\n").unwrap();
        assert_eq!(alias.root["b"], Value::from(1), "aliases are expanded");
        let bad = Document::parse("a: [1, 2\n").unwrap_err();
        assert!(bad.message.contains("not valid YAML"), "{bad:?}");
    }
}
