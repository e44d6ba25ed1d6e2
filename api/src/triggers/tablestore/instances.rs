//! The PostgreSQL databases TableStore triggers read, defined once in `wasm-fc
//! run`'s config (`--table-instance NAME=postgres://user:password@host/db`,
//! repeatable; env `WASM_FC_TABLE_INSTANCES`, comma-separated) and named by
//! the trigger's `sourceArn` (`…:instance/{NAME}/table/{table}`). The URL,
//! with its password, never appears in a trigger, so GetTrigger cannot echo it.

use std::collections::BTreeMap;
use std::fmt;

/// One named database.
#[derive(Clone, PartialEq, Eq)]
pub struct TableInstance {
    pub name: String,
    /// The connection URL (may hold a password: never logged).
    pub url: String,
}

impl fmt::Debug for TableInstance {
    /// Never prints the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.redacted())
    }
}

impl TableInstance {
    /// `name=postgres://user@host:port/db`, without the password.
    pub fn redacted(&self) -> String {
        let shown = match self.url.split_once("://") {
            Some((scheme, rest)) => {
                let (userinfo, host) = rest.rsplit_once('@').map_or(("", rest), |(u, h)| (u, h));
                let user = userinfo.split(':').next().unwrap_or_default();
                if user.is_empty() {
                    format!("{scheme}://{host}")
                } else {
                    format!("{scheme}://{user}@{host}")
                }
            }
            None => "?".to_string(),
        };
        format!("{}={shown}", self.name)
    }
}

/// Why a `--table-instance` value is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "--table-instance {name:?}: {reason} (expected NAME=postgres://user:password@host:5432/database)"
)]
pub struct TableInstanceSpecError {
    name: String,
    reason: String,
}

impl std::str::FromStr for TableInstance {
    type Err = TableInstanceSpecError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let fail = |reason: &str| TableInstanceSpecError {
            // The value may hold a password: keep only the name.
            name: value.split('=').next().unwrap_or_default().to_string(),
            reason: reason.to_string(),
        };
        let (name, url) = value
            .split_once('=')
            .ok_or_else(|| fail("no NAME= before the URL"))?;
        let name = name.trim();
        if name.is_empty()
            || name.len() > 64
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(fail("the name must be 1-64 letters, digits, '-' or '_'"));
        }
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(fail("the URL must be postgres://…"));
        }
        url.parse::<tokio_postgres::Config>()
            .map_err(|e| fail(&format!("the URL is not a PostgreSQL URL ({e})")))?;
        Ok(Self {
            name: name.to_string(),
            url: url.to_string(),
        })
    }
}

/// The instances of this node, by name.
#[derive(Debug, Clone, Default)]
pub struct TableInstances(BTreeMap<String, TableInstance>);

impl TableInstances {
    pub fn new(instances: impl IntoIterator<Item = TableInstance>) -> Self {
        Self(instances.into_iter().map(|i| (i.name.clone(), i)).collect())
    }

    pub fn get(&self, name: &str) -> Option<&TableInstance> {
        self.0.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &TableInstance> {
        self.0.values()
    }

    /// The instance a trigger names, or a 400's message naming the field.
    pub fn check(&self, name: &str) -> Result<&TableInstance, String> {
        self.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.0.keys().map(String::as_str).collect();
            format!(
                "sourceArn names instance {name:?}, which this node does not define; start it with `wasm-fc run --table-instance {name}=postgres://…` (known instances: {})",
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_never_show_the_password() {
        let i: TableInstance = "ots=postgres://u:secret@127.0.0.1:5432/db".parse().unwrap();
        assert_eq!(i.redacted(), "ots=postgres://u@127.0.0.1:5432/db");
        assert!(!format!("{i:?}").contains("secret"));
        let err = "x=mysql://u:secret@h/db"
            .parse::<TableInstance>()
            .unwrap_err()
            .to_string();
        assert!(!err.contains("secret"), "{err}");
        assert!("=postgres://h/db".parse::<TableInstance>().is_err());
        assert!(
            TableInstances::default()
                .check("ots")
                .unwrap_err()
                .contains("--table-instance ots=")
        );
    }
}
