//! Typed, located access to a manifest's fields: every wrong type or missing key
//! becomes a [`ManifestError`] naming file, line and field.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::yaml::{Document, join};
use super::{Location, ManifestError, location};

/// A position in a parsed manifest.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    pub document: &'a Document,
    pub value: &'a Value,
    pub path: String,
    pub file: &'a Path,
    /// The manifest's directory: relative paths resolve against it.
    pub base: &'a Path,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

impl<'a> Cursor<'a> {
    pub fn root(document: &'a Document, file: &'a Path, base: &'a Path) -> Self {
        Self {
            document,
            value: &document.root,
            path: String::new(),
            file,
            base,
        }
    }

    pub fn location(&self) -> Location {
        location(self.document, self.file, &self.path)
    }

    pub fn error(&self, message: impl Into<String>) -> ManifestError {
        ManifestError::invalid(self.location(), message)
    }

    /// The child `key`, if present and not null.
    pub fn get(&self, key: &str) -> Option<Cursor<'a>> {
        let value = self.value.get(key).filter(|v| !v.is_null())?;
        Some(Cursor {
            value,
            path: join(&self.path, key),
            ..self.clone()
        })
    }

    /// The child `key`, which must be present.
    pub fn required(&self, key: &str) -> Result<Cursor<'a>, ManifestError> {
        self.get(key).ok_or_else(|| {
            ManifestError::invalid(
                location(self.document, self.file, &join(&self.path, key)),
                format!("`{key}` is required here"),
            )
        })
    }

    fn expected(&self, what: &str) -> ManifestError {
        self.error(format!("expected {what}, found {}", type_name(self.value)))
    }

    pub fn as_str(&self) -> Result<&'a str, ManifestError> {
        self.value.as_str().ok_or_else(|| self.expected("a string"))
    }

    /// A string; numbers and booleans are accepted and written as text (YAML
    /// reads `payload: 123` as a number).
    pub fn as_text(&self) -> Result<String, ManifestError> {
        match self.value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => Err(self.expected("a string")),
        }
    }

    pub fn as_int(&self) -> Result<i64, ManifestError> {
        match self.value {
            Value::Number(n) => n.as_i64().ok_or_else(|| self.expected("a whole number")),
            Value::String(s) => s
                .trim()
                .parse()
                .map_err(|_| self.expected("a whole number")),
            _ => Err(self.expected("a whole number")),
        }
    }

    pub fn as_bool(&self) -> Result<bool, ManifestError> {
        match self.value {
            Value::Bool(b) => Ok(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
            _ => Err(self.expected("true or false")),
        }
    }

    /// The entries of a mapping, in file order.
    pub fn entries(&self) -> Result<Vec<(String, Cursor<'a>)>, ManifestError> {
        let map = self
            .value
            .as_object()
            .ok_or_else(|| self.expected("a mapping"))?;
        Ok(map
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    Cursor {
                        value: v,
                        path: join(&self.path, k),
                        ..self.clone()
                    },
                )
            })
            .collect())
    }

    /// The items of a list.
    pub fn items(&self) -> Result<Vec<Cursor<'a>>, ManifestError> {
        let list = self
            .value
            .as_array()
            .ok_or_else(|| self.expected("a list"))?;
        Ok(list
            .iter()
            .enumerate()
            .map(|(i, v)| Cursor {
                value: v,
                path: format!("{}[{i}]", self.path),
                ..self.clone()
            })
            .collect())
    }

    /// Warns about keys of this mapping outside `known`.
    pub fn unknown_keys(&self, known: &[&str], warnings: &mut Vec<String>) {
        if let Some(map) = self.value.as_object() {
            for key in map.keys().filter(|k| !known.contains(&k.as_str())) {
                let at = location(self.document, self.file, &join(&self.path, key));
                warnings.push(format!("{at}: unknown key, ignored"));
            }
        }
    }

    /// A path in the manifest, resolved against the manifest's directory.
    pub fn resolve(&self, relative: &str) -> PathBuf {
        self.base.join(relative)
    }
}
