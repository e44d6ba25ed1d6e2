-- One row per timer fire, as on PostgreSQL: a restart within a fire's second
-- never fires it twice. Rows older than a day are removed.
CREATE TABLE IF NOT EXISTS timer_fires (
    trigger_key TEXT NOT NULL,
    scheduled_ms INTEGER NOT NULL,
    node_id TEXT NOT NULL,
    PRIMARY KEY (trigger_key, scheduled_ms)
);
CREATE INDEX IF NOT EXISTS timer_fires_age ON timer_fires (scheduled_ms);
-- This node's heartbeat (the cluster view of one node).
CREATE TABLE IF NOT EXISTS nodes (
    node_id TEXT PRIMARY KEY,
    heartbeat_ms INTEGER NOT NULL,
    body TEXT NOT NULL
);
