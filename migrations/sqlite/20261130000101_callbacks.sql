-- Callback jobs (issue 14, seeds/000). sqlite dialect; the other folder holds the same schema.
-- Instants are INTEGER milliseconds since the Unix epoch (UTC).

-- One row per job: the checked request (spec, JSON), where it is (state), its last status,
-- the dialer leasing it while a call runs, and the last call's result.
CREATE TABLE callbacks (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    idem_key          TEXT UNIQUE,                  -- the client's idempotency key, if given
    spec              TEXT    NOT NULL,             -- callback::CallbackSpec as JSON
    state             TEXT    NOT NULL,             -- pending | running | done
    status            TEXT    NOT NULL,             -- callback::CallbackStatus
    status_code       INTEGER  NOT NULL,
    calls             INTEGER  NOT NULL DEFAULT 0,   -- calls placed so far (the first and recalls)
    recalls_cancelled INTEGER  NOT NULL DEFAULT 0,   -- 1: the manager cancelled later recalls
    next_attempt_at   INTEGER  NOT NULL,             -- due from (pending)
    lease_owner       TEXT,                         -- the dialer running it (running)
    lease_until       INTEGER,
    created_by        TEXT    NOT NULL,
    created_at        INTEGER  NOT NULL,
    updated_at        INTEGER  NOT NULL,
    -- The last call's result.
    duration_ms       INTEGER,
    talk_ms           INTEGER,
    recording         TEXT,
    manager           TEXT,                         -- the manager number that answered
    digits            TEXT    NOT NULL DEFAULT ''   -- keys the manager pressed
);
CREATE INDEX callbacks_due ON callbacks (state, next_attempt_at);

-- Every leg of every call of a job: written before its originate (or bridge), closed with its
-- end, so a restarted dialer finds legs that may still be alive.
CREATE TABLE callback_legs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    callback_id INTEGER  NOT NULL REFERENCES callbacks (id),
    call_no     INTEGER  NOT NULL,                   -- which call of the job (1 = first)
    side        TEXT    NOT NULL,                   -- manager | client
    number      TEXT    NOT NULL,
    trunk       TEXT    NOT NULL,                   -- the dial pattern used
    uuid        TEXT    NOT NULL,
    caller_id   TEXT    NOT NULL,                   -- what this leg's callee was shown
    node        TEXT    NOT NULL,
    started_at  INTEGER  NOT NULL,
    answered_at INTEGER,
    ended_at    INTEGER,
    cause       TEXT,                               -- the hangup cause (LOSE_RACE, USER_BUSY, ...)
    sip_code    INTEGER
);
CREATE INDEX callback_legs_job ON callback_legs (callback_id, id);
CREATE INDEX callback_legs_open ON callback_legs (ended_at);
