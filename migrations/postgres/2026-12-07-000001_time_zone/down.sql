ALTER TABLE agencies DROP COLUMN time_zone;
