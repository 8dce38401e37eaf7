-- Training evaluation. A learner's reaction to a course they completed (how useful it was, and
-- a comment): at most one per completion.
CREATE TABLE course_reactions (
    id BIGSERIAL PRIMARY KEY,
    completion_id BIGINT NOT NULL UNIQUE REFERENCES completions (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    course_id BIGINT NOT NULL REFERENCES courses (id),
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX course_reactions_course ON course_reactions (course_id);

-- The impact question put to the learner's supervisor three months after a completion: asked once
-- per completion (the unique key makes sure of it when several servers run the loop), answered
-- with a rating and a comment.
CREATE TABLE impact_reviews (
    id BIGSERIAL PRIMARY KEY,
    completion_id BIGINT NOT NULL UNIQUE REFERENCES completions (id),
    learner_id BIGINT NOT NULL REFERENCES users (id),
    supervisor_id BIGINT NOT NULL REFERENCES users (id),
    course_id BIGINT NOT NULL REFERENCES courses (id),
    asked_at TIMESTAMP NOT NULL,
    rating INTEGER CHECK (rating BETWEEN 1 AND 5),
    comment TEXT NOT NULL DEFAULT '',
    answered_at TIMESTAMP
);
CREATE INDEX impact_reviews_course ON impact_reviews (course_id);
CREATE INDEX impact_reviews_supervisor ON impact_reviews (supervisor_id);
