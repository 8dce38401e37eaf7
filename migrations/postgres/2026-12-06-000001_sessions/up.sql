-- Sessions are records: every login (form, API token, accepted invitation) creates a row, and
-- the session token names its row by `id` (random, unguessable). Logging out ends the row at
-- once; "log out everywhere", a password change or reset, a role change and disabling the
-- account end the others (`user_version` must equal the user's `session_version`).
--
-- Tokens made before this migration name no session and stop working: everyone logs in once
-- more after the upgrade (API clients ask for a new token).
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    user_version INTEGER NOT NULL,
    device TEXT NOT NULL,
    address TEXT NOT NULL,
    bearer BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);
