-- Code packages by sha256 (content-addressed zips): every node unpacks and
-- compiles from here, so a function created on one node runs on any.
CREATE TABLE IF NOT EXISTS code_blobs (
    digest TEXT PRIMARY KEY,
    zip BYTEA NOT NULL,
    stored_ms BIGINT NOT NULL
);
-- One row per timer fire: every node schedules every timer, and the node whose
-- insert lands first enqueues the fire. Rows older than a day are removed.
CREATE TABLE IF NOT EXISTS timer_fires (
    trigger_key TEXT NOT NULL,
    scheduled_ms BIGINT NOT NULL,
    node_id TEXT NOT NULL,
    PRIMARY KEY (trigger_key, scheduled_ms)
);
CREATE INDEX IF NOT EXISTS timer_fires_age ON timer_fires (scheduled_ms);
-- Live nodes: each upserts its heartbeat (JSON body) every few seconds.
CREATE TABLE IF NOT EXISTS nodes (
    node_id TEXT PRIMARY KEY,
    heartbeat_ms BIGINT NOT NULL,
    body TEXT NOT NULL
);
-- Values every node must agree on, created by whichever node starts first:
-- the API credentials and the URL-signing key.
CREATE TABLE IF NOT EXISTS shared_values (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
