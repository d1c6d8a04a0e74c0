-- outcall schema, SQLite dialect. Instants are INTEGER milliseconds since the Unix epoch (UTC).
-- JSON (phones, vars, tags) is stored as TEXT. migrations/postgres holds the same schema.

CREATE TABLE campaigns (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT    NOT NULL UNIQUE,
    definition       TEXT    NOT NULL,             -- the TOML it was created from
    timezone         TEXT    NOT NULL,
    keep_open        INTEGER NOT NULL DEFAULT 0,   -- 1: stays running when every contact is final
    status           TEXT    NOT NULL DEFAULT 'draft',
    status_reason    TEXT,                         -- why it was paused (by hand or automatically)
    technical_streak INTEGER NOT NULL DEFAULT 0,   -- technical errors in a row across the campaign
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

-- The zones the campaign's contacts live in (the scheduler asks which of them are open).
CREATE TABLE campaign_zones (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    timezone    TEXT    NOT NULL,
    PRIMARY KEY (campaign_id, timezone)
);

CREATE TABLE contacts (
    id               INTEGER PRIMARY KEY,
    campaign_id      INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    phone            TEXT    NOT NULL,             -- first callable phone (E.164): the duplicate key
    phones           TEXT    NOT NULL,             -- JSON array of E.164 numbers, in order
    name             TEXT    NOT NULL DEFAULT '',
    vars             TEXT    NOT NULL DEFAULT '{}',-- JSON object, upper-case keys
    timezone         TEXT    NOT NULL,             -- its own zone, else the campaign's
    status           TEXT    NOT NULL DEFAULT 'pending',
    attempts         INTEGER NOT NULL DEFAULT 0,
    technical_streak INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    last_disposition TEXT,
    last_attempt_at  INTEGER,
    lease_owner      TEXT,
    lease_until      INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (campaign_id, phone)
);
-- "Due contacts of campaign X in zone Z, earliest first": a range scan of this index.
CREATE INDEX contacts_due ON contacts (campaign_id, timezone, next_attempt_at) WHERE status = 'pending';
CREATE INDEX contacts_status ON contacts (campaign_id, status);
CREATE INDEX contacts_lease ON contacts (lease_until) WHERE status = 'dialing';

-- The CDR: one row per call placed. Open while ended_at is NULL.
CREATE TABLE attempts (
    id           INTEGER PRIMARY KEY,
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    contact_id   INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    uuid         TEXT    NOT NULL UNIQUE,          -- origination UUID
    phone        TEXT    NOT NULL,
    node         TEXT    NOT NULL,                 -- FreeSWITCH node
    gateway      TEXT    NOT NULL,
    owner        TEXT    NOT NULL,                 -- dialer process that placed it
    started_at   INTEGER NOT NULL,
    answered_at  INTEGER,
    ended_at     INTEGER,
    hangup_cause TEXT,
    sip_code     INTEGER,
    disposition  TEXT,
    billsec      INTEGER,
    digits       TEXT,
    recording    TEXT,
    tags         TEXT                              -- JSON array
);
-- A number is never dialled twice at once, across campaigns.
CREATE UNIQUE INDEX attempts_open_phone ON attempts (phone) WHERE ended_at IS NULL;
CREATE INDEX attempts_contact ON attempts (contact_id);
CREATE INDEX attempts_campaign ON attempts (campaign_id, disposition);
CREATE INDEX attempts_open ON attempts (started_at) WHERE ended_at IS NULL;

CREATE TABLE dnc (
    phone    TEXT    PRIMARY KEY,                  -- E.164
    reason   TEXT    NOT NULL DEFAULT '',
    added_at INTEGER NOT NULL
);
