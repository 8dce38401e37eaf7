ALTER TABLE recognition_letters DROP COLUMN time_zone;
ALTER TABLE certificates DROP COLUMN time_zone;
