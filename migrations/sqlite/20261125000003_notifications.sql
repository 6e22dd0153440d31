CREATE TABLE notifications (
    id          TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    form_id     TEXT    NOT NULL REFERENCES forms (id) ON DELETE CASCADE,
    response_id TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    read_at     INTEGER
);
CREATE INDEX notifications_user ON notifications (user_id, read_at, created_at);
