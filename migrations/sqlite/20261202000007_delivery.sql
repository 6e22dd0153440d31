-- Durable delivery of action events to receivers outside Junction (webhooks, email).

-- A webhook endpoint of the Webhooks app: where its owner's events are sent.
CREATE TABLE webhook_endpoints (
    id              TEXT    PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url             TEXT    NOT NULL,
    -- JSON array of the hook names sent, for example ["form.submitted"].
    events          TEXT    NOT NULL,
    -- Only this form's events, when set.
    form_id         TEXT    REFERENCES forms (id) ON DELETE CASCADE,
    active          INTEGER NOT NULL DEFAULT 1,
    -- The signing secret (whsec_…), sealed (secrets.rs).
    secret          TEXT    NOT NULL,
    -- After a rotation, the previous secret (sealed), which signs too until old_until.
    old_secret      TEXT,
    old_until       INTEGER,
    -- Set when a receiver answered 410 Gone: nothing more is sent until it is switched on.
    disabled_reason TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_user ON webhook_endpoints (user_id);

-- The outbox: one row per event and receiver, written in the transaction of the change
-- that caused it, delivered by the worker in `junction serve` (at least once).
CREATE TABLE outbox (
    id             TEXT    PRIMARY KEY,
    -- The event's stable id (webhook-id), the same for every receiver and every attempt.
    event_id       TEXT    NOT NULL,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- webhook | email
    channel        TEXT    NOT NULL,
    -- The webhook endpoint's id, or the email installation's id.
    target         TEXT    NOT NULL,
    event          TEXT    NOT NULL,
    -- The JSON body sent: {"type", "timestamp", "data"}.
    body           TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    -- pending | delivered | failed
    state          TEXT    NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    -- When the next attempt is due (Unix seconds); NULL once delivered or failed.
    next_at        INTEGER,
    -- A worker holds the row until then while it delivers it.
    locked_until   INTEGER,
    last_status    INTEGER,
    last_error     TEXT,
    last_duration_ms INTEGER,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, next_at);
CREATE INDEX outbox_target ON outbox (target, created_at);

-- Every attempt at one outbox row.
CREATE TABLE delivery_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_id   TEXT    NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    status      INTEGER,
    duration_ms INTEGER NOT NULL,
    error       TEXT
);
CREATE INDEX delivery_attempts_outbox ON delivery_attempts (outbox_id, id);
