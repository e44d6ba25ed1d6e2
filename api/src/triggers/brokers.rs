//! The message brokers a node consumes from, defined once in `wasm-fc run`'s
//! config (`--broker NAME=URL`, repeatable; env `WASM_FC_BROKERS`,
//! comma-separated) and named by triggers through FC's own key,
//! `eventSourceParameters.source…Parameters.InstanceId`.
//!
//! The URL carries the host and the credentials, which FC's trigger config
//! has no key for; so no secret is ever part of a trigger, and GetTrigger
//! cannot echo one. The scheme says which protocol:
//!
//! - `amqp://user:password@host:5672` — RabbitMQ (AMQP 0.9.1). The vhost comes
//!   from the trigger's `VirtualHostName`, not from the URL.
//! - `mqtt://user:password@host:1883` (or `tcp://`) — an MQTT 3.1.1 broker.
//!
//! TLS (`amqps://`, `mqtts://`) is not built in: put the broker on the same
//! host or network, or behind a local TLS-terminating tunnel.

use std::collections::BTreeMap;
use std::fmt;

/// Which protocol a broker speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Amqp,
    Mqtt,
}

impl Protocol {
    /// The trigger's `eventSourceType` that uses this protocol.
    pub fn source_type(self) -> &'static str {
        match self {
            Self::Amqp => "RabbitMQ",
            Self::Mqtt => "MQTT",
        }
    }
}

/// One named broker.
#[derive(Clone, PartialEq, Eq)]
pub struct Broker {
    pub name: String,
    pub protocol: Protocol,
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
}

impl fmt::Debug for Broker {
    /// Never prints the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.redacted())
    }
}

impl Broker {
    /// `name=scheme://host:port` with the user but never the password: what logs
    /// and the start-up banner show.
    pub fn redacted(&self) -> String {
        let scheme = match self.protocol {
            Protocol::Amqp => "amqp",
            Protocol::Mqtt => "mqtt",
        };
        let user = self
            .username
            .as_deref()
            .map(|u| format!("{u}@"))
            .unwrap_or_default();
        format!("{}={scheme}://{user}{}:{}", self.name, self.host, self.port)
    }

    /// The AMQP URI of `vhost` on this broker (credentials included).
    pub fn amqp_uri(&self, vhost: &str) -> String {
        let enc = |s: &str| {
            percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
        };
        let credentials = match (&self.username, &self.password) {
            (Some(u), Some(p)) => format!("{}:{}@", enc(u), enc(p)),
            (Some(u), None) => format!("{}@", enc(u)),
            _ => String::new(),
        };
        format!(
            "amqp://{credentials}{}:{}/{}",
            self.host,
            self.port,
            enc(vhost)
        )
    }
}

/// Why a `--broker` value is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "--broker {value:?}: {reason} (expected NAME=amqp://user:password@host:5672 or NAME=mqtt://host:1883)"
)]
pub struct BrokerSpecError {
    value: String,
    reason: String,
}

impl std::str::FromStr for Broker {
    type Err = BrokerSpecError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let fail = |reason: &str| BrokerSpecError {
            // The value may hold a password: keep only the name in the error.
            value: value.split('=').next().unwrap_or_default().to_string(),
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
            return Err(fail(
                "the name must be 1–64 letters, digits, '-' or '_' (triggers name it in InstanceId)",
            ));
        }
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| fail("the URL has no scheme"))?;
        let (protocol, default_port) = match scheme.to_ascii_lowercase().as_str() {
            "amqp" => (Protocol::Amqp, 5672),
            "mqtt" | "tcp" => (Protocol::Mqtt, 1883),
            "amqps" | "mqtts" | "ssl" => {
                return Err(fail(
                    "TLS brokers are not supported; reach the broker over plain TCP on a trusted network",
                ));
            }
            _ => return Err(fail("the scheme must be amqp:// or mqtt://")),
        };
        let authority = rest.split('/').next().unwrap_or_default();
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let (username, password) = match userinfo {
            None => (None, None),
            Some(info) => match info.split_once(':') {
                Some((u, p)) => (Some(decode(u)), Some(decode(p))),
                None => (Some(decode(info)), None),
            },
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse::<u16>()
                    .map_err(|_| fail("the port is not a number"))?,
            ),
            None => (hostport, default_port),
        };
        if host.is_empty() {
            return Err(fail("the URL has no host"));
        }
        Ok(Broker {
            name: name.to_string(),
            protocol,
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port,
            username,
            password,
        })
    }
}

/// The brokers of this node, by name.
#[derive(Debug, Clone, Default)]
pub struct Brokers(BTreeMap<String, Broker>);

impl Brokers {
    /// The set; a name given twice keeps the last.
    pub fn new(brokers: impl IntoIterator<Item = Broker>) -> Self {
        Self(brokers.into_iter().map(|b| (b.name.clone(), b)).collect())
    }

    pub fn get(&self, name: &str) -> Option<&Broker> {
        self.0.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Broker> {
        self.0.values()
    }

    /// Checks that `name` is a broker speaking `protocol`; the error says
    /// which brokers there are.
    pub fn check(&self, name: &str, protocol: Protocol, field: &str) -> Result<(), String> {
        match self.get(name) {
            Some(b) if b.protocol == protocol => Ok(()),
            Some(b) => Err(format!(
                "{field} {name:?} is a {} broker, not a {} one",
                b.protocol.source_type(),
                protocol.source_type()
            )),
            None => {
                let known: Vec<&str> = self
                    .iter()
                    .filter(|b| b.protocol == protocol)
                    .map(|b| b.name.as_str())
                    .collect();
                Err(format!(
                    "{field} {name:?} names no broker this node knows; define it with `wasm-fc run --broker {name}={}://…` (known {} brokers: {})",
                    match protocol {
                        Protocol::Amqp => "amqp",
                        Protocol::Mqtt => "mqtt",
                    },
                    protocol.source_type(),
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_schemes_credentials_and_default_ports() {
        let b: Broker = "local=amqp://guest:p%40ss@127.0.0.1".parse().unwrap();
        assert_eq!(b.protocol, Protocol::Amqp);
        assert_eq!(b.port, 5672);
        assert_eq!(b.password.as_deref(), Some("p@ss"));
        assert_eq!(b.amqp_uri("/"), "amqp://guest:p%40ss@127.0.0.1:5672/%2F");
        assert!(!format!("{b:?}").contains("p@ss"));
        let m: Broker = "iot=mqtt://broker.lan:1884".parse().unwrap();
        assert_eq!(
            (m.protocol, m.port, m.username),
            (Protocol::Mqtt, 1884, None)
        );
    }

    #[test]
    fn refuses_bad_specs_without_echoing_secrets() {
        for bad in [
            "amqp://h",
            "=amqp://h",
            "x=ftp://h",
            "x=amqps://u:secret@h",
            "x=amqp://u:secret@h:port",
        ] {
            let err = bad.parse::<Broker>().unwrap_err().to_string();
            assert!(!err.contains("secret"), "{err}");
        }
        let brokers = Brokers::new(["a=amqp://h".parse::<Broker>().unwrap()]);
        assert!(brokers.check("a", Protocol::Amqp, "f").is_ok());
        assert!(
            brokers
                .check("a", Protocol::Mqtt, "f")
                .unwrap_err()
                .contains("RabbitMQ broker")
        );
        assert!(
            brokers
                .check("b", Protocol::Amqp, "f")
                .unwrap_err()
                .contains("known RabbitMQ brokers: a")
        );
    }
}
