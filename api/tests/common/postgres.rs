//! PostgreSQL for the integration tests: the server the development and CI
//! machines run at 127.0.0.1:5432 (trust auth). Each test (or each data dir,
//! under the suite switch) gets a database of its own.
//!
//! Without a server the tests that need one print one loud SKIPPED line and
//! pass, unless `WASM_FC_REQUIRE_SERVICES=1` (CI), which makes that a failure.

use postgres::NoTls;

/// The database every machine has, used to create and drop test databases.
pub const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A database of its own; dropped (with its connections) on drop.
pub struct Database {
    pub name: String,
    pub url: String,
}

impl Database {
    /// A new empty database, or `None` (after the loud skip line) when there is
    /// no server and services are not required.
    pub fn create(test: &str) -> Option<Self> {
        let name = format!("wasm_fc_{}", uuid_like());
        create_named(&name, test).then(|| Self {
            url: url_of(&name),
            name,
        })
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        drop_named(&self.name);
    }
}

/// The URL of database `name` on the test server.
pub fn url_of(name: &str) -> String {
    format!("postgres://postgres@127.0.0.1:5432/{name}")
}

/// Creates database `name` if it does not exist; false (after the skip line)
/// when there is no server.
pub fn create_named(name: &str, test: &str) -> bool {
    let mut admin = match postgres::Client::connect(ADMIN_URL, NoTls) {
        Ok(admin) => admin,
        Err(e) => {
            assert!(
                std::env::var("WASM_FC_REQUIRE_SERVICES").as_deref() != Ok("1"),
                "{test}: PostgreSQL at 127.0.0.1:5432 is required (WASM_FC_REQUIRE_SERVICES=1): {e}"
            );
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: no PostgreSQL at 127.0.0.1:5432 ({e}) \
                 (WASM_FC_REQUIRE_SERVICES=1 makes this a failure)"
            );
            return false;
        }
    };
    let exists = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .expect("look the database up")
        .is_some();
    if !exists {
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create the test database");
    }
    true
}

/// Drops database `name` and its connections (nothing if it is gone).
pub fn drop_named(name: &str) {
    if let Ok(mut admin) = postgres::Client::connect(ADMIN_URL, NoTls) {
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}

/// 32 hex digits, unique enough for a database name.
fn uuid_like() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hex = String::new();
    for _ in 0..2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        hex.push_str(&format!("{:016x}", h.finish()));
    }
    hex
}

/// The suite switch: with `WASM_FC_TEST_STORE=postgres`, every test server
/// runs on PostgreSQL, in a database named after its data dir (so a restart
/// over the same data dir finds its state), created on first use. The
/// databases are dropped by `.ci/postgres-suite` when the run ends.
pub fn suite_store_for(data_dir: &std::path::Path) -> Option<String> {
    if std::env::var("WASM_FC_TEST_STORE").as_deref() != Ok("postgres") {
        return None;
    }
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    data_dir.hash(&mut h);
    let name = format!("{SUITE_PREFIX}{:016x}", h.finish());
    assert!(
        create_named(&name, "the PostgreSQL suite switch"),
        "WASM_FC_TEST_STORE=postgres needs PostgreSQL at 127.0.0.1:5432"
    );
    Some(url_of(&name))
}

/// The name prefix of the suite switch's databases.
pub const SUITE_PREFIX: &str = "wasm_fc_suite_";
