-- API tokens and the audit log (the HTTP API issue). PostgreSQL dialect; migrations/sqlite holds
-- the same schema. Instants are BIGINT milliseconds since the Unix epoch (UTC).

-- Bearer tokens. Only the SHA-256 of a token is kept: the token itself is shown once.
CREATE TABLE api_tokens (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    role       TEXT    NOT NULL,
    hash       TEXT    NOT NULL UNIQUE,            -- hex SHA-256 of the token
    created_at BIGINT  NOT NULL,
    revoked_at BIGINT,
    last_used  BIGINT
);

-- Every change made through the CLI or the API.
CREATE TABLE audit_log (
    id      BIGSERIAL PRIMARY KEY,
    at      BIGINT  NOT NULL,
    actor   TEXT    NOT NULL,                      -- token name, or cli:<user>
    role    TEXT    NOT NULL,
    action  TEXT    NOT NULL,                      -- e.g. campaign.pause
    object  TEXT    NOT NULL,                      -- e.g. campaign:debtors
    before  TEXT,                                  -- JSON, when there was a before
    after   TEXT                                   -- JSON, when there is an after
);
CREATE INDEX audit_log_at ON audit_log (at);

-- An archived campaign (completed or cancelled, put away by hand) is listed only on request and
-- never scheduled again, cron or not.
ALTER TABLE campaigns ADD COLUMN archived_at BIGINT;
