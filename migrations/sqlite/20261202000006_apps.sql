-- The App Store. Apps are in code (built-in) or, later, uploaded; this table holds what an
-- admin decides about each: its approval state and whether it is disabled for everyone.
-- Built-in apps are written here at start-up, approved.
CREATE TABLE apps (
    slug            TEXT    PRIMARY KEY,
    source          TEXT    NOT NULL,
    -- draft | submitted | approved | rejected
    state           TEXT    NOT NULL,
    reason          TEXT    NOT NULL DEFAULT '',
    -- Set when an admin disabled the app for everyone: its installations stop running.
    disabled_reason TEXT,
    created_at      INTEGER  NOT NULL,
    updated_at      INTEGER  NOT NULL
);

CREATE TABLE installations (
    id          TEXT    PRIMARY KEY,
    user_id     INTEGER  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    app         TEXT    NOT NULL REFERENCES apps (slug),
    name        TEXT    NOT NULL,
    version     TEXT    NOT NULL,
    -- JSON array of the scopes the installer granted.
    scopes      TEXT    NOT NULL,
    -- JSON object of the settings; a secret is stored sealed (secrets.rs), never in clear.
    config      TEXT    NOT NULL,
    active      INTEGER  NOT NULL DEFAULT 0,
    auto_update INTEGER  NOT NULL DEFAULT 0,
    -- JSON {version, config} as it was before the last update, for a rollback.
    previous    TEXT,
    created_at  INTEGER  NOT NULL,
    updated_at  INTEGER  NOT NULL
);
CREATE INDEX installations_user ON installations (user_id, app);

-- Every lifecycle step and every denied permission, for the installation's owner. Kept
-- after an uninstall (the installation id stays as text).
CREATE TABLE app_audit (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         INTEGER  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    installation_id TEXT    NOT NULL,
    app             TEXT    NOT NULL,
    event           TEXT    NOT NULL,
    detail          TEXT    NOT NULL,
    at              INTEGER  NOT NULL
);
CREATE INDEX app_audit_installation ON app_audit (installation_id, id);

CREATE TABLE app_reviews (
    app        TEXT    NOT NULL,
    user_id    INTEGER  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    stars      INTEGER  NOT NULL,
    body       TEXT    NOT NULL,
    hidden     INTEGER  NOT NULL DEFAULT 0,
    created_at INTEGER  NOT NULL,
    updated_at INTEGER  NOT NULL,
    PRIMARY KEY (app, user_id)
);

-- Values apps attach to a response (a lead score, the campaign it came from): a JSON object.
ALTER TABLE responses ADD COLUMN data TEXT NOT NULL DEFAULT '{}';
