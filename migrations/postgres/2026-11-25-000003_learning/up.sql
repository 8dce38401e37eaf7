-- A person on a course version: self-enrolled or assigned. They stay on that version until they
-- complete it.
CREATE TABLE enrollments (
    id BIGSERIAL PRIMARY KEY,
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
    UNIQUE (user_id, course_id)
);
CREATE INDEX enrollments_user ON enrollments (user_id);

-- A lesson marked done. One row per lesson and enrollment, so a repeated "mark done" counts once.
CREATE TABLE lesson_progress (
    enrollment_id BIGINT NOT NULL REFERENCES enrollments (id),
    module_id BIGINT NOT NULL REFERENCES modules (id),
    done_at TIMESTAMP NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (enrollment_id, module_id)
);

-- A quiz attempt: the exact paper shown, the deadline, the answers and their grading.
CREATE TABLE quiz_attempts (
    id BIGSERIAL PRIMARY KEY,
    enrollment_id BIGINT NOT NULL REFERENCES enrollments (id),
    module_id BIGINT NOT NULL REFERENCES modules (id),
    number INTEGER NOT NULL,
    paper TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    deadline_at TIMESTAMP,
    submitted_at TIMESTAMP,
    answers TEXT,
    results TEXT,
    score INTEGER,
    passed BOOLEAN,
    late BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (enrollment_id, module_id, number)
);

-- A completed course: what it credits (JP, competencies) on the version it was earned on.
CREATE TABLE completions (
    id BIGSERIAL PRIMARY KEY,
    enrollment_id BIGINT NOT NULL UNIQUE REFERENCES enrollments (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    course_id BIGINT NOT NULL REFERENCES courses (id),
    version_id BIGINT NOT NULL REFERENCES course_versions (id),
    completed_at TIMESTAMP NOT NULL,
    jp INTEGER NOT NULL,
    competencies TEXT NOT NULL,
    score INTEGER
);
CREATE INDEX completions_user ON completions (user_id);
