-- Authoring in the browser. A course has owners (the authors who may change it); a version is a
-- draft until it is published (drafts are never listed, enrolled or shown to learners); each
-- version keeps its Markdown sources, so it can be edited, downloaded and compared.
CREATE TABLE course_owners (
    course_id BIGINT NOT NULL REFERENCES courses (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (course_id, user_id)
);
CREATE INDEX course_owners_user ON course_owners (user_id);

ALTER TABLE course_versions ADD COLUMN status TEXT NOT NULL DEFAULT 'published';
ALTER TABLE course_versions ADD COLUMN created_by BIGINT NULL REFERENCES users (id);
ALTER TABLE course_versions ADD COLUMN origin TEXT NOT NULL DEFAULT '';
ALTER TABLE course_versions ADD COLUMN saved_at TIMESTAMP NULL;

CREATE TABLE version_sources (
    version_id BIGINT NOT NULL REFERENCES course_versions (id),
    path TEXT NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (version_id, path)
);
