-- Recertification: a person may take a course again (a new "cycle") after completing it, so an
-- enrollment is unique per person, course and cycle. The current enrollment is the highest cycle.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE enrollments_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    course_id BIGINT NOT NULL REFERENCES courses (id),
    version_id BIGINT NOT NULL REFERENCES course_versions (id),
    source TEXT NOT NULL,
    assigned_by BIGINT REFERENCES users (id),
    due_at TIMESTAMP,
    enrolled_at TIMESTAMP NOT NULL,
    last_module_id BIGINT,
    last_seen_at TIMESTAMP,
    completed_at TIMESTAMP,
    cycle INTEGER NOT NULL DEFAULT 1,
    UNIQUE (user_id, course_id, cycle)
);
INSERT INTO enrollments_new (id, user_id, course_id, version_id, source, assigned_by, due_at,
    enrolled_at, last_module_id, last_seen_at, completed_at, cycle)
SELECT id, user_id, course_id, version_id, source, assigned_by, due_at, enrolled_at,
    last_module_id, last_seen_at, completed_at, 1 FROM enrollments;
DROP TABLE enrollments;
ALTER TABLE enrollments_new RENAME TO enrollments;
CREATE INDEX enrollments_user ON enrollments (user_id);

-- Public halves of every key that ever signed a certificate, so rotation (and a lost data
-- folder) never makes an issued certificate unverifiable.
CREATE TABLE certificate_keys (
    kid TEXT PRIMARY KEY NOT NULL,
    public_x TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- The last certificate number given out per year (CKP/2026/000123 is number 123 of 2026).
CREATE TABLE certificate_sequences (
    year INTEGER PRIMARY KEY NOT NULL,
    last_number BIGINT NOT NULL
);

-- An issued certificate: what it says, frozen at issuance, its signed credential and its status.
CREATE TABLE certificates (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    number TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    completion_id BIGINT NOT NULL UNIQUE REFERENCES completions (id),
    course_id BIGINT NOT NULL REFERENCES courses (id),
    agency_id BIGINT REFERENCES agencies (id),
    holder_name TEXT NOT NULL,
    holder_nip TEXT,
    agency TEXT,
    course_slug TEXT NOT NULL,
    course_title TEXT NOT NULL,
    course_version TEXT NOT NULL,
    jp INTEGER NOT NULL,
    competencies TEXT NOT NULL,
    completed_at TIMESTAMP NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    issuer TEXT NOT NULL,
    signatory_name TEXT,
    signatory_title TEXT,
    kid TEXT NOT NULL REFERENCES certificate_keys (kid),
    jwt TEXT NOT NULL,
    revoked_at TIMESTAMP,
    revoked_by BIGINT REFERENCES users (id),
    revoked_reason TEXT,
    reminded_at TIMESTAMP
);
CREATE INDEX certificates_user ON certificates (user_id);
CREATE INDEX certificates_agency ON certificates (agency_id);
CREATE INDEX certificates_expires ON certificates (expires_at);

COMMIT;
PRAGMA foreign_keys = ON;
