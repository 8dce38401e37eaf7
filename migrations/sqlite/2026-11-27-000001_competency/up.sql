-- Learning evidence: a competency at a level, shown by a completed course or an approved activity
-- from outside the platform. One row per source and competency.
CREATE TABLE competency_evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    code TEXT NOT NULL,
    level INTEGER NOT NULL,
    source_kind TEXT NOT NULL,
    source_id BIGINT NOT NULL,
    title TEXT NOT NULL,
    earned_at TIMESTAMP NOT NULL,
    UNIQUE (source_kind, source_id, code)
);
CREATE INDEX competency_evidence_user ON competency_evidence (user_id);

-- A level set by a formal assessment (assessment centre, uji kompetensi), entered or imported by an
-- agency admin. The newest per person and competency counts.
CREATE TABLE assessed_levels (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    code TEXT NOT NULL,
    level INTEGER NOT NULL,
    assessed_at TIMESTAMP NOT NULL,
    source TEXT NOT NULL,
    entered_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX assessed_levels_user ON assessed_levels (user_id, code);

-- The competency standard of a position: target level per competency. Managerial and
-- socio-cultural competencies without a row take the usual level of the position's kind.
CREATE TABLE position_targets (
    position_id BIGINT NOT NULL REFERENCES positions (id),
    code TEXT NOT NULL,
    level INTEGER NOT NULL,
    PRIMARY KEY (position_id, code)
);

-- Per agency: which level the gap uses ("assessed": the assessed level where there is one, else
-- the evidence; "evidence": the highest evidenced level), and its own yearly JP target if higher.
ALTER TABLE agencies ADD COLUMN gap_basis TEXT NOT NULL DEFAULT 'assessed';
ALTER TABLE agencies ADD COLUMN jp_target INTEGER;

-- Completions recorded before evidence existed.
INSERT INTO competency_evidence (user_id, code, level, source_kind, source_id, title, earned_at)
SELECT c.user_id, cc.code, cc.level, 'course', c.id, v.title, c.completed_at
FROM completions c
JOIN course_competencies cc ON cc.version_id = c.version_id
JOIN course_versions v ON v.id = c.version_id;

