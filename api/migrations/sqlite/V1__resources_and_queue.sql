-- Resources (rows of FC's resources as JSON), counters, and the async queue.
-- IF NOT EXISTS throughout: a file written before refinery managed the schema
-- (PRAGMA user_version 1 or 2) already has these tables, brought to version 2
-- by the store before refinery runs.
CREATE TABLE IF NOT EXISTS resources (
    kind TEXT NOT NULL,
    scope TEXT NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, scope, name)
);
CREATE TABLE IF NOT EXISTS sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS async_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL,
    service TEXT NOT NULL,
    qualifier TEXT NOT NULL,
    function TEXT NOT NULL,
    payload BLOB NOT NULL,
    attempts INTEGER NOT NULL,
    not_before_ms INTEGER NOT NULL,
    enqueued_ms INTEGER NOT NULL,
    lease_owner TEXT
);
CREATE INDEX IF NOT EXISTS async_queue_due ON async_queue (not_before_ms, id);
