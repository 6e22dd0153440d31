-- Apps uploaded at run time (services/publishing.rs). Binary content is kept as base64
-- text: every column holds a type both databases share through sqlx's Any driver.

-- The account that uploads an app publishes it: only it may add versions.
ALTER TABLE apps ADD COLUMN publisher_id INTEGER REFERENCES users (id) ON DELETE SET NULL;

-- Components by the SHA-256 of their bytes, with what the server compiled them to (it
-- loads in microseconds, and is compiled again when the engine's settings change).
CREATE TABLE app_components (
    sha256     TEXT    PRIMARY KEY,
    wasm       TEXT    NOT NULL,
    compiled   TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

-- Logos and screenshots of uploaded apps, served from content-hashed URLs.
CREATE TABLE app_assets (
    sha256       TEXT    PRIMARY KEY,
    content_type TEXT    NOT NULL,
    bytes        TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
);

-- Every version of an uploaded app, with its manifest, its component, its verification
-- report and where it stands: draft, submitted, approved, rejected (with a reason), or
-- withdrawn (no longer offered, still run for the installations that have it).
CREATE TABLE app_versions (
    app          TEXT    NOT NULL REFERENCES apps (slug) ON DELETE CASCADE,
    version      TEXT    NOT NULL,
    manifest     TEXT    NOT NULL,
    component    TEXT    NOT NULL REFERENCES app_components (sha256),
    report       TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    reason       TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    decided_at   INTEGER,
    PRIMARY KEY (app, version)
);
CREATE INDEX app_versions_state ON app_versions (state, decided_at);

-- Runs of failed events per installation of an uploaded app; ten in a row switch it off.
ALTER TABLE installations ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
