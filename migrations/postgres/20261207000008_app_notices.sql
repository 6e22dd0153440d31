-- Notices an app leaves its owner through the host API (notifications:send).
CREATE TABLE app_notices (
    id              TEXT    PRIMARY KEY,
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    installation_id TEXT    NOT NULL,
    app             TEXT    NOT NULL,
    text            TEXT    NOT NULL,
    created_at      BIGINT NOT NULL,
    read_at         BIGINT
);
CREATE INDEX app_notices_user ON app_notices (user_id, read_at, created_at);
