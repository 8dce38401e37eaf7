DROP TABLE certificates;
DROP TABLE certificate_sequences;
DROP TABLE certificate_keys;
ALTER TABLE enrollments DROP CONSTRAINT enrollments_user_course_cycle;
ALTER TABLE enrollments ADD CONSTRAINT enrollments_user_id_course_id_key UNIQUE (user_id, course_id);
ALTER TABLE enrollments DROP COLUMN cycle;
