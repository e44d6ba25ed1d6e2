-- Logstores (Log triggers, logConfig): `{project}/{logstore}` with shards.
-- Each shard's entries are numbered from 1 by `next_seq`, taken in the same
-- transaction as the insert, so numbers follow commit order (a cursor never
-- skips an entry that commits later with a smaller number).
CREATE TABLE IF NOT EXISTS logstores (
    project TEXT NOT NULL,
    logstore TEXT NOT NULL,
    shards BIGINT NOT NULL,
    ttl_days BIGINT NOT NULL,
    max_shard_bytes BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (project, logstore)
);
CREATE TABLE IF NOT EXISTS log_shards (
    project TEXT NOT NULL,
    logstore TEXT NOT NULL,
    shard BIGINT NOT NULL,
    next_seq BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    PRIMARY KEY (project, logstore, shard)
);
CREATE TABLE IF NOT EXISTS log_entries (
    project TEXT NOT NULL,
    logstore TEXT NOT NULL,
    shard BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    time_ms BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (project, logstore, shard, seq)
);
CREATE INDEX IF NOT EXISTS log_entries_time ON log_entries (project, logstore, time_ms);
-- Positions of pull consumers (a Log trigger's shard), held under a lease by
-- one node at a time.
CREATE TABLE IF NOT EXISTS cursors (
    name TEXT PRIMARY KEY,
    position TEXT NOT NULL,
    owner TEXT,
    lease_until_ms BIGINT NOT NULL
);
