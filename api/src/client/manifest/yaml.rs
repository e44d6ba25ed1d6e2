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
        check_depth(text)?;
        let docs = MarkedYaml::load_from_str(text).map_err(|e| not_yaml(&e))?;
        let mut document = Document::default();
        if let Some(first) = docs.first() {
            let mut budget = MAX_PATH_BYTES;
            document.root = convert(first, "", &mut document.positions, &mut budget)?;
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

/// The deepest nesting a manifest may have, counting what aliases expand to.
/// Real manifests nest about 10 levels; saphyr's loader (and `convert`, and
/// dropping the trees) recurse once per level, so a 60 KB `- - - … x` would
/// otherwise overflow the stack (found by fuzz/manifest).
pub const MAX_DEPTH: usize = 64;

/// The most bytes of field paths (`services.app.props…`) a manifest may record
/// for its error positions. A real manifest needs a few KB; without a bound,
/// saphyr's 100,000 alias-expanded nodes under 40 KB of nested long keys took
/// 2.3 GB from a 41 KB file (found by fuzzing the manifest reader).
pub const MAX_PATH_BYTES: usize = 16 << 20;

fn not_yaml(e: &saphyr_parser::ScanError) -> YamlError {
    YamlError {
        at: Position {
            line: e.marker().line(),
            col: e.marker().col() + 1,
        },
        field: String::new(),
        message: format!("not valid YAML: {}", e.info()),
    }
}

/// Refuses text nested deeper than [`MAX_DEPTH`], before any tree is built:
/// saphyr's event parser is iterative, so this walk needs no stack per level.
/// An alias counts as deep as its anchor's node.
fn check_depth(text: &str) -> Result<(), YamlError> {
    use saphyr_parser::{Event, Parser};
    // Per open collection: its anchor id (0: none) and the height of its deepest child.
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut heights: HashMap<usize, usize> = HashMap::new();
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| not_yaml(&e))?;
        // A finished node: its anchor and height (a scalar is 0).
        let done = match event {
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                open.push((anchor, 0));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => open
                .pop()
                .map(|(anchor, child)| (anchor, child.saturating_add(1))),
            Event::Scalar(_, _, anchor, _) => Some((anchor, 0)),
            Event::Alias(id) => Some((0, heights.get(&id).copied().unwrap_or(0))),
            _ => None,
        };
        let depth = open.len() + done.map_or(0, |(_, height)| height);
        if depth > MAX_DEPTH {
            return Err(YamlError {
                at: Position {
                    line: span.start.line(),
                    col: span.start.col() + 1,
                },
                field: String::new(),
                message: format!("the YAML nests deeper than {MAX_DEPTH} levels"),
            });
        }
        if let Some((anchor, height)) = done {
            if anchor != 0 {
                heights.insert(anchor, height);
            }
            if let Some(parent) = open.last_mut() {
                parent.1 = parent.1.max(height);
            }
        }
    }
    Ok(())
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

/// Converts `node` at `path`, recording every field's position. `budget` is
/// what is left of [`MAX_PATH_BYTES`] for the recorded paths.
fn convert(
    node: &MarkedYaml<'_>,
    path: &str,
    positions: &mut HashMap<String, Position>,
    budget: &mut usize,
) -> Result<Value, YamlError> {
    let at = position_of(node);
    let refuse = |message: String| YamlError {
        at,
        field: path.to_string(),
        message,
    };
    *budget = budget.checked_sub(path.len()).ok_or_else(|| {
        refuse(format!(
            "the manifest's field paths pass {} MiB (too many fields, or aliases that repeat long keys)",
            MAX_PATH_BYTES >> 20
        ))
    })?;
    positions.insert(path.to_string(), at);
    Ok(match &node.data {
        YamlData::Value(scalar) => scalar_value(scalar),
        YamlData::Representation(text, ..) => Value::String(text.to_string()),
        YamlData::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(convert(item, &format!("{path}[{i}]"), positions, budget)?);
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
                let converted = convert(value, &child, positions, budget)?;
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

    #[test]
    fn refuses_deep_nesting_before_building_a_tree() {
        // fuzz/corpus/manifest/crash-deep-block-sequence: this overflowed the stack.
        let deep = format!("{}x\n", "- ".repeat(30_000));
        let error = Document::parse(&deep).unwrap_err();
        assert!(error.message.contains("deeper than 64"), "{error:?}");
        let limit = format!("{}x\n", "- ".repeat(MAX_DEPTH));
        assert!(Document::parse(&limit).is_ok(), "64 levels are fine");
        let over = format!("{}x\n", "- ".repeat(MAX_DEPTH + 1));
        assert!(Document::parse(&over).is_err());
        let flow = format!("a: {}1{}\n", "[".repeat(200), "]".repeat(200));
        assert!(Document::parse(&flow).is_err());
    }

    #[test]
    fn bounds_the_memory_aliases_can_take_through_long_keys() {
        // fuzz/corpus/manifest/oom-alias-long-keys: 41 KB of YAML, 2.3 GB of paths.
        let mut text = String::from(
            "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
             c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n",
        );
        for level in 0..40 {
            text.push_str(&format!(
                "{}{}{level}:\n",
                " ".repeat(level),
                "k".repeat(1000)
            ));
        }
        text.push_str(&format!(
            "{}e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
            " ".repeat(40)
        ));
        let error = Document::parse(&text).unwrap_err();
        assert!(
            error.message.contains("field paths pass 16 MiB"),
            "{error:?}"
        );
        // The same aliases under a short key are fine.
        let short = text.replace(&"k".repeat(1000), "k");
        assert!(Document::parse(&short).is_ok());
    }

    #[test]
    fn an_alias_counts_as_deep_as_its_anchor() {
        let half = MAX_DEPTH / 2 + 1;
        let anchored = format!("a: &x {}1{}\n", "[".repeat(half), "]".repeat(half));
        assert!(Document::parse(&anchored).is_ok());
        let aliased = format!("{anchored}b: {}*x{}\n", "[".repeat(half), "]".repeat(half));
        let error = Document::parse(&aliased).unwrap_err();
        assert!(error.message.contains("deeper than"), "{error:?}");
    }
}
