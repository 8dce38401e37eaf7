-- Development outside the platform (pelatihan klasikal, seminar, workshop, coaching, magang, …)
-- recorded by the ASN and approved or rejected by their supervisor. Only approved ones count
-- (JP tally, competency evidence).
CREATE TABLE activities (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    organizer TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP NOT NULL,
    jp INTEGER NOT NULL,
    competency_code TEXT,
    competency_level INTEGER,
    status TEXT NOT NULL,
    reviewer_id BIGINT REFERENCES users (id),
    reviewed_at TIMESTAMP,
    review_note TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX activities_user ON activities (user_id);
CREATE INDEX activities_status ON activities (status);

-- The evidence file of an activity (certificate scan, letter): kept in the database so that every
-- server can serve it.
CREATE TABLE activity_files (
    activity_id BIGINT PRIMARY KEY NOT NULL REFERENCES activities (id),
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    bytes BYTEA NOT NULL
);

