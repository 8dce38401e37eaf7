-- The competency dictionary (courses/competencies.toml, plus what agencies add).
CREATE TABLE competencies (
    code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    levels TEXT NOT NULL DEFAULT '[]',
    updated_at TIMESTAMP NOT NULL
);

-- A course, known by its slug; its versions hold the content.
CREATE TABLE courses (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    current_version_id BIGINT,
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- One published version: the hash of the course's files and everything rendered from them.
CREATE TABLE course_versions (
    id BIGSERIAL PRIMARY KEY,
    course_id BIGINT NOT NULL REFERENCES courses (id),
    hash TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    description_html TEXT NOT NULL,
    jp INTEGER NOT NULL,
    language TEXT NOT NULL,
    tags TEXT NOT NULL,
    prerequisites TEXT NOT NULL,
    pass_mark INTEGER NOT NULL,
    certificate BOOLEAN NOT NULL,
    certificate_valid_months INTEGER,
    authors TEXT NOT NULL,
    total_minutes INTEGER NOT NULL,
    published_at TIMESTAMP NOT NULL,
    UNIQUE (course_id, hash)
);

CREATE TABLE course_competencies (
    version_id BIGINT NOT NULL REFERENCES course_versions (id),
    code TEXT NOT NULL,
    level INTEGER NOT NULL,
    PRIMARY KEY (version_id, code)
);

CREATE TABLE modules (
    id BIGSERIAL PRIMARY KEY,
    version_id BIGINT NOT NULL REFERENCES course_versions (id),
    position INTEGER NOT NULL,
    number INTEGER NOT NULL,
    slug TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    minutes INTEGER,
    html TEXT NOT NULL,
    headings TEXT NOT NULL,
    pass_mark INTEGER,
    attempts INTEGER,
    time_limit_minutes INTEGER,
    shuffle BOOLEAN,
    draw INTEGER,
    UNIQUE (version_id, slug)
);

-- What a learner may see of a question before grading.
CREATE TABLE questions (
    id BIGSERIAL PRIMARY KEY,
    module_id BIGINT NOT NULL REFERENCES modules (id),
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    prompt_html TEXT NOT NULL,
    options TEXT NOT NULL
);
CREATE INDEX questions_module ON questions (module_id);

-- Answers and feedback, kept apart: read only by grading.
CREATE TABLE question_keys (
    question_id BIGINT PRIMARY KEY NOT NULL REFERENCES questions (id),
    answer TEXT NOT NULL,
    feedback_html TEXT,
    option_feedback TEXT NOT NULL
);

-- Asset bytes, content-addressed (shared by versions that carry the same file).
CREATE TABLE assets (
    hash TEXT PRIMARY KEY NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE version_assets (
    version_id BIGINT NOT NULL REFERENCES course_versions (id),
    path TEXT NOT NULL,
    hash TEXT NOT NULL REFERENCES assets (hash),
    PRIMARY KEY (version_id, path)
);
