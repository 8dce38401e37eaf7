-- Recertification: a person may take a course again (a new "cycle") after completing it, so an
-- enrollment is unique per person, course and cycle. The current enrollment is the highest cycle.
ALTER TABLE enrollments ADD COLUMN cycle INTEGER NOT NULL DEFAULT 1;
ALTER TABLE enrollments DROP CONSTRAINT enrollments_user_id_course_id_key;
ALTER TABLE enrollments ADD CONSTRAINT enrollments_user_course_cycle UNIQUE (user_id, course_id, cycle);

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
    id BIGSERIAL PRIMARY KEY,
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

