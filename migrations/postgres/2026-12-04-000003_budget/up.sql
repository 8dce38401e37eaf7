-- The training budget. An agency sets its yearly competency-development budget (rupiah, whole
-- numbers); outside activities record what the agency paid for them (`cost`, optional, entered by
-- the learner, correctable by the approving supervisor or the agency admin); a course may carry a
-- fee per participant (`fee`, set by a platform admin), which counts against the learner's
-- agency's budget for every enrollment started in that year.
CREATE TABLE agency_budgets (
    agency_id BIGINT NOT NULL REFERENCES agencies (id),
    year INTEGER NOT NULL,
    amount BIGINT NOT NULL,
    updated_by BIGINT REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (agency_id, year)
);

ALTER TABLE activities ADD COLUMN cost BIGINT NULL;
ALTER TABLE courses ADD COLUMN fee BIGINT NOT NULL DEFAULT 0;
