-- Resources (rows of FC's resources as JSON), counters, and the async queue.
CREATE TABLE IF NOT EXISTS resources (
    kind TEXT NOT NULL,
    scope TEXT NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, scope, name)
);
CREATE TABLE IF NOT EXISTS sequences (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS async_queue (
    id BIGSERIAL PRIMARY KEY,
    request_id TEXT NOT NULL,
    service TEXT NOT NULL,
    qualifier TEXT NOT NULL,
    function TEXT NOT NULL,
    payload BYTEA NOT NULL,
    attempts INTEGER NOT NULL,
    not_before_ms BIGINT NOT NULL,
    enqueued_ms BIGINT NOT NULL,
    lease_owner TEXT
);
CREATE INDEX IF NOT EXISTS async_queue_due ON async_queue (not_before_ms, id);
