-- Call webhooks waiting to be delivered (the outbox), SQLite dialect; migrations/postgres holds the
-- same table. A row is written in the transaction that records the event it reports (the attempt
-- opened: call_start; the attempt closed: call_end), then delivered at least once by a worker that
-- leases it. Instants are INTEGER milliseconds since the Unix epoch (UTC).

CREATE TABLE webhook_outbox (
    id           INTEGER PRIMARY KEY,
    event_id     TEXT    NOT NULL,                 -- the idempotency key: one per event (call, kind)
    kind         TEXT    NOT NULL,                 -- call_start | call_end
    url          TEXT    NOT NULL,                 -- http:// or https://
    body         TEXT    NOT NULL,                 -- JSON: the exact bytes signed and sent
    attempt_id   INTEGER,                          -- the attempt (CDR row) it reports, if any
    attempts     INTEGER NOT NULL DEFAULT 0,       -- sends tried so far
    next_try_at  INTEGER NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'pending', -- pending | delivered | dead
    last_error   TEXT,
    lease_owner  TEXT,                             -- the worker sending it now
    lease_until  INTEGER,
    created_at   INTEGER NOT NULL,
    delivered_at INTEGER,
    -- One delivery of an event per receiver; a receiver listed twice gets it once.
    UNIQUE (event_id, url)
);
-- "Due deliveries, earliest first": a range scan of this index.
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_try_at) WHERE status = 'pending';
CREATE INDEX webhook_outbox_attempt ON webhook_outbox (attempt_id);
