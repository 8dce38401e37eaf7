DROP TABLE version_sources;
ALTER TABLE course_versions DROP COLUMN saved_at;
ALTER TABLE course_versions DROP COLUMN origin;
ALTER TABLE course_versions DROP COLUMN created_by;
ALTER TABLE course_versions DROP COLUMN status;
DROP TABLE course_owners;
