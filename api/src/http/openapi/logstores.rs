//! The logstore routes' shapes (a wasm-fc extension; docs/logstores.md).

use utoipa::{IntoParams, ToSchema};

/// A project.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ProjectPath {
    /// 3-63 lower-case letters, digits and `-`.
    #[param(rename = "projectName")]
    pub project_name: String,
}

/// A logstore of a project.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct LogstorePath {
    #[param(rename = "projectName")]
    pub project_name: String,
    /// 2-63 lower-case letters, digits, `-` and `_`.
    #[param(rename = "logstoreName")]
    pub logstore_name: String,
}

/// CreateLogstore's body.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct CreateLogstore {
    pub logstore_name: String,
    /// 1-64, default 1.
    pub shard_count: Option<u32>,
    /// Days an entry is kept, 1-3650, default 30.
    pub ttl: Option<u32>,
    /// Bytes a shard keeps before its oldest entries go: 1 MiB to 1 TiB,
    /// default 64 MiB.
    pub max_bytes_per_shard: Option<i64>,
}

/// Which entries a read returns: a shard's cursor range, or a time range over
/// every shard.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ReadParams {
    /// With `cursor`: the shard to read.
    pub shard: Option<u32>,
    /// The first entry's cursor (inclusive).
    pub cursor: Option<String>,
    /// Where to stop (exclusive); default the shard's end.
    pub end_cursor: Option<String>,
    /// Time range start, Unix s (inclusive); default 15 minutes ago.
    pub from: Option<i64>,
    /// Time range end, Unix s (exclusive); default now.
    pub to: Option<i64>,
    /// At most this many entries: 1-1000, default 100.
    pub limit: Option<u32>,
}
