-- Logstores (Log triggers, logConfig): `{project}/{logstore}` with shards.
-- Each shard's entries are numbered from 1 by `next_seq`, taken in the same
-- transaction as the insert, so numbers follow commit order (a cursor never
-- skips an entry that commits later with a smaller number).
CREATE TABLE IF NOT EXISTS logstores (
    project TEXT NOT NULL,
    logstore TEXT NOT NULL,
    shards INTEGER NOT NULL,
    ttl_days INTEGER NOT NULL,
    max_shard_bytes INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (project, logstore)
);
CREATE TABLE IF NOT EXISTS log_shards (
    project TEXT NOT NULL,
    logstore TEXT NOT NULL,
    shard INTEGER NOT NULL,
    next_seq INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    PRIMARY KEY (project, logstore, shard)
);
CREATE TABLE IF NOT EXISTS log_entries (
    project TEXT NOT NULL,
    logstore TEXT NOT NULL,
    shard INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    time_ms INTEGER NOT NULL,
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
    lease_until_ms INTEGER NOT NULL
);
