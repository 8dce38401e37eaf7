-- Recognition for ASN who keep developing: milestones earned automatically (once each), the
-- yearly "ASN Pembelajar" standing (colleagues see only those who allow it), and signed letters of
-- recognition (piagam penghargaan) that anyone can verify like a certificate.
ALTER TABLE users ADD COLUMN show_in_standing BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE milestones (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    key TEXT NOT NULL,
    kind TEXT NOT NULL,
    year INTEGER,
    code TEXT,
    level INTEGER,
    earned_at TIMESTAMP NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, key)
);
CREATE INDEX milestones_earned ON milestones (earned_at);

CREATE TABLE letter_sequences (
    year INTEGER PRIMARY KEY NOT NULL,
    last_number BIGINT NOT NULL
);

CREATE TABLE recognition_letters (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    number TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    agency_id BIGINT NOT NULL REFERENCES agencies (id),
    holder_name TEXT NOT NULL,
    holder_nip TEXT,
    agency TEXT NOT NULL,
    title TEXT NOT NULL,
    reason TEXT NOT NULL,
    year INTEGER NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    issued_by BIGINT REFERENCES users (id),
    signatory_name TEXT NOT NULL,
    signatory_title TEXT NOT NULL,
    kid TEXT NOT NULL,
    jwt TEXT NOT NULL,
    revoked_at TIMESTAMP,
    revoked_reason TEXT
);
CREATE INDEX recognition_letters_user ON recognition_letters (user_id);
CREATE INDEX recognition_letters_agency ON recognition_letters (agency_id, year);
