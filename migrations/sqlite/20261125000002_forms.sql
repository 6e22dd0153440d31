CREATE TABLE forms (
    id         TEXT    PRIMARY KEY,
    owner_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    enabled    INTEGER NOT NULL,
    definition TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX forms_owner ON forms (owner_id, updated_at);

CREATE TABLE responses (
    id         TEXT    PRIMARY KEY,
    form_id    TEXT    NOT NULL REFERENCES forms (id) ON DELETE CASCADE,
    answers    TEXT    NOT NULL,
    route_id   TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX responses_form ON responses (form_id, created_at);

CREATE TABLE uploads (
    id           TEXT    PRIMARY KEY,
    form_id      TEXT    NOT NULL REFERENCES forms (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX uploads_form ON uploads (form_id);
