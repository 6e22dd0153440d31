-- Sessions know their user, so a password change can end the account's other sessions.
ALTER TABLE sessions ADD COLUMN user_id BIGINT;
CREATE INDEX sessions_user ON sessions (user_id);
-- Sessions signed in before this column existed (a tower-sessions record: {"data": {...}}).
UPDATE sessions SET user_id = (data::json -> 'data' ->> 'user_id')::bigint;

-- Every save of a form bumps its revision: partial updates (rename, enable) compare and
-- swap on it instead of overwriting a concurrent save, and compiled rules are cached by it.
ALTER TABLE forms ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
