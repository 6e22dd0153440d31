CREATE TABLE notifications (
    id          TEXT    PRIMARY KEY,
    user_id     BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    form_id     TEXT    NOT NULL REFERENCES forms (id) ON DELETE CASCADE,
    response_id TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    read_at     BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, read_at, created_at);
