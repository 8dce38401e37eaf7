-- Agencies (instansi), their nested units (unit kerja) and positions (jabatan).
CREATE TABLE agencies (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE units (
    id BIGSERIAL PRIMARY KEY,
    agency_id BIGINT NOT NULL REFERENCES agencies (id),
    parent_id BIGINT REFERENCES units (id),
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX units_agency ON units (agency_id);

CREATE TABLE positions (
    id BIGSERIAL PRIMARY KEY,
    agency_id BIGINT NOT NULL REFERENCES agencies (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    UNIQUE (agency_id, name)
);

-- People. `email` is stored lower-cased, so uniqueness is case-insensitive.
CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    nip TEXT UNIQUE,
    password_hash TEXT,
    email_verified_at TIMESTAMP,
    agency_id BIGINT REFERENCES agencies (id),
    unit_id BIGINT REFERENCES units (id),
    position_id BIGINT REFERENCES positions (id),
    supervisor_id BIGINT REFERENCES users (id),
    is_author BOOLEAN NOT NULL DEFAULT FALSE,
    is_agency_admin BOOLEAN NOT NULL DEFAULT FALSE,
    is_platform_admin BOOLEAN NOT NULL DEFAULT FALSE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    session_version INTEGER NOT NULL DEFAULT 1,
    language TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX users_supervisor ON users (supervisor_id);
CREATE INDEX users_agency ON users (agency_id);

-- Single-use tokens sent by e-mail (verification, password reset, invitation); only a hash is kept.
CREATE TABLE user_tokens (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    purpose TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

-- Fixed-window counters shared by every server (login and reset rate limits).
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY NOT NULL,
    window_start TIMESTAMP NOT NULL,
    count INTEGER NOT NULL
);

-- The durable mail outbox: a message is written here in the same transaction as what caused it,
-- and a worker sends it, retrying with backoff.
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    failed_at TIMESTAMP,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (sent_at, failed_at, next_attempt_at);
