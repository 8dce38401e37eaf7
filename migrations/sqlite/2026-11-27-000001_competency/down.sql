DROP TABLE position_targets;
DROP TABLE assessed_levels;
DROP TABLE competency_evidence;
ALTER TABLE agencies DROP COLUMN jp_target;
ALTER TABLE agencies DROP COLUMN gap_basis;
