-- Issue 21, "the official record is right": money as spent, SIASN fields, JPM/JP agency settings.

-- The fee is recorded with the enrollment when it is spent: budget spending sums `enrollments.fee`,
-- so changing a course's fee later touches only new enrollments.
--
-- Migration note: past enrollments get the fee that applied when they started. The fee history is
-- the audit log: every change of a course fee since fees exist went through the platform admin's
-- fee form, which writes an audit entry `course.fee` on `course:<slug>` with the new fee. So:
--   1. the latest `course.fee` entry at or before the enrollment started, when there is one;
--   2. else 0 when the course has a fee history that starts after the enrollment (fees start at
--      the column's default, 0, and every change is in the history);
--   3. else (no fee history at all for the course) the course's CURRENT fee — the only figure
--      known; it was set outside the fee form (e.g. by hand in the database).
ALTER TABLE enrollments ADD COLUMN fee BIGINT NOT NULL DEFAULT 0;
UPDATE enrollments SET fee = COALESCE(
    (SELECT CAST(a.detail AS BIGINT) FROM audit_log a, courses c
      WHERE c.id = enrollments.course_id AND a.action = 'course.fee'
        AND a.subject = 'course:' || c.slug AND a.created_at <= enrollments.enrolled_at
      ORDER BY a.created_at DESC, a.id DESC LIMIT 1),
    (SELECT 0 FROM audit_log a, courses c
      WHERE c.id = enrollments.course_id AND a.action = 'course.fee'
        AND a.subject = 'course:' || c.slug
      LIMIT 1),
    (SELECT c.fee FROM courses c WHERE c.id = enrollments.course_id),
    0);

-- A development plan's planned cost, per planned item (rupiah): a planned course defaults to the
-- course's fee when it is planned; a planned outside activity to what the supervisor enters.
-- Items planned before this migration: a course gets the course's current fee, an activity 0.
ALTER TABLE plan_items ADD COLUMN planned_cost BIGINT NOT NULL DEFAULT 0;
UPDATE plan_items SET planned_cost = COALESCE(
    (SELECT c.fee FROM courses c WHERE c.id = plan_items.course_id), 0);

-- The certificate (STTPL) number of an outside activity, exported to SIASN (nomorSertipikat).
ALTER TABLE activities ADD COLUMN certificate_number TEXT NULL;

-- An agency's JPM thresholds (percent; defaults 80 and 68) and JP conversion table (activity
-- kind → JP per day, JSON object as text; default {"seminar":4,"workshop":5}). No row: defaults.
CREATE TABLE agency_jp_settings (
    agency_id BIGINT PRIMARY KEY NOT NULL REFERENCES agencies (id),
    jpm_optimal INTEGER NOT NULL,
    jpm_meets INTEGER NOT NULL,
    conversion TEXT NOT NULL,
    updated_by BIGINT REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL
);
