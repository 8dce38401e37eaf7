-- Partner institutions (universities, training institutes, professional bodies) that provide
-- courses together with the platform's agency. A course may name its provider; authors may belong
-- to a partner; a certificate for a partner's course names both issuers, each with a signatory,
-- kept on the certificate as it was signed.
CREATE TABLE partners (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    signatory_name TEXT,
    signatory_title TEXT,
    website TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

ALTER TABLE users ADD COLUMN partner_id BIGINT NULL REFERENCES partners (id);
CREATE INDEX users_partner ON users (partner_id);
ALTER TABLE courses ADD COLUMN provider_id BIGINT NULL REFERENCES partners (id);
CREATE INDEX courses_provider ON courses (provider_id);

ALTER TABLE certificates ADD COLUMN partner TEXT NULL;
ALTER TABLE certificates ADD COLUMN partner_signatory_name TEXT NULL;
ALTER TABLE certificates ADD COLUMN partner_signatory_title TEXT NULL;
