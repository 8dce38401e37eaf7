-- A yearly development plan per ASN, drafted by their supervisor: a JP target and planned courses
-- and activities. Its fulfilment is computed from completions and approved activities.
CREATE TABLE development_plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    year INTEGER NOT NULL,
    target_jp INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    updated_by BIGINT REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, year)
);

-- A planned course (course_id) or a planned outside activity (activity_kind, title).
CREATE TABLE plan_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    plan_id BIGINT NOT NULL REFERENCES development_plans (id),
    course_id BIGINT REFERENCES courses (id),
    activity_kind TEXT,
    title TEXT NOT NULL,
    planned_jp INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX plan_items_plan ON plan_items (plan_id);

