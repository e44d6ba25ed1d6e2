-- Issue 18: an invocation queued for an event-source trigger carries where its
-- event came from (the trigger, the event's time and its loop-guard depth) as
-- JSON, so metrics and the loop guard survive restarts and other nodes.
ALTER TABLE async_queue ADD COLUMN origin TEXT;
