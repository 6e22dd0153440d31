-- Notices an app leaves its owner through the host API (notifications:send).
CREATE TABLE app_notices (
    id              TEXT    PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    installation_id TEXT    NOT NULL,
    app             TEXT    NOT NULL,
    text            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    read_at         INTEGER
);
CREATE INDEX app_notices_user ON app_notices (user_id, read_at, created_at);
