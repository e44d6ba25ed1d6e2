//! One platform, two models: how an FC 3.0 function name (API 2023-03-30) maps
//! onto FC 2.0's services and functions, where everything is stored.
//!
//! - `service$function` is FC's own name for a function created through FC
//!   2.0: that service's function (versions and aliases are then the
//!   service's, shared by its functions, as in FC 2.0).
//! - Any other name `foo` is a function created through FC 3.0: it is stored
//!   as a service `foo`, marked [`FC3_MARK`], holding one function `foo`, so
//!   FC 2.0 clients see it as service `foo`, function `foo`, and its versions
//!   and aliases are its own.
//!
//! An unmarked FC 2.0 service `foo` never answers to the 3.0 name `foo`: its
//! functions are `foo$f`.

use serde_json::Value;

/// The key on a service row that says FC 3.0 created it (never shown: `_` keys stay inside).
pub const FC3_MARK: &str = "_fc3";

/// An FC 3.0 function name, resolved to where FC 2.0 keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fc2Place {
    pub service: String,
    pub function: String,
    /// True for `service$function`, false for an FC 3.0 function.
    pub migrated: bool,
}

/// What [`segment`] encodes: all but RFC 3986's unreserved characters, so FC's
/// names (letters, digits, `_`, `-`) pass as they are.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A path segment, percent-encoded for a URI.
pub fn segment(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, SEGMENT).to_string()
}

impl Fc2Place {
    /// `/services/{service}`, encoded: FC 2.0's path of the service.
    pub fn service_path(&self) -> String {
        format!("/services/{}", segment(&self.service))
    }

    /// `/services/{service}/functions/{function}`, encoded.
    pub fn function_path(&self) -> String {
        format!(
            "{}/functions/{}",
            self.service_path(),
            segment(&self.function)
        )
    }
}

/// Where the FC 3.0 function `name` lives. `None` for a name FC 3.0 cannot
/// have (empty, or an empty side of `$`).
pub fn place(name: &str) -> Option<Fc2Place> {
    match name.split_once('$') {
        Some((service, function)) if !service.is_empty() && !function.is_empty() => {
            Some(Fc2Place {
                service: service.to_string(),
                function: function.to_string(),
                migrated: true,
            })
        }
        Some(_) => None,
        None if name.is_empty() => None,
        None => Some(Fc2Place {
            service: name.to_string(),
            function: name.to_string(),
            migrated: false,
        }),
    }
}

/// Whether a stored service row was created through FC 3.0.
pub fn is_fc3_service(service: &Value) -> bool {
    service[FC3_MARK].as_bool() == Some(true)
}

/// The FC 3.0 name of FC 2.0's (`service`, `function`).
pub fn fc3_name(service: &Value, function: &str) -> String {
    let service_name = service["serviceName"].as_str().unwrap_or_default();
    if is_fc3_service(service) && service_name == function {
        function.to_string()
    } else {
        format!("{service_name}${function}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_map_both_ways() {
        let p = place("svc$fn").unwrap_or_else(|| panic!("a place"));
        assert_eq!(
            (p.service.as_str(), p.function.as_str(), p.migrated),
            ("svc", "fn", true)
        );
        let p = place("hello").unwrap_or_else(|| panic!("a place"));
        assert_eq!(
            (p.service.as_str(), p.function.as_str(), p.migrated),
            ("hello", "hello", false)
        );
        assert_eq!(place("$fn"), None);
        assert_eq!(place("svc$"), None);
        assert_eq!(place(""), None);
        let fc3 = json!({"serviceName": "hello", "_fc3": true});
        let fc2 = json!({"serviceName": "hello"});
        assert_eq!(fc3_name(&fc3, "hello"), "hello");
        assert_eq!(fc3_name(&fc2, "hello"), "hello$hello");
        assert_eq!(fc3_name(&fc2, "other"), "hello$other");
    }
}
