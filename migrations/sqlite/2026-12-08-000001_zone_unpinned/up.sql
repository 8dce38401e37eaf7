-- `clock::pin_record_zones` looks for records without a zone at every start: without an index that
-- read the whole certificates table (seconds at a province's size). These partial indexes hold only
-- such rows, so the look is instant once they are pinned.
CREATE INDEX certificates_zone_unpinned ON certificates (id) WHERE time_zone IS NULL;
CREATE INDEX recognition_letters_zone_unpinned ON recognition_letters (id) WHERE time_zone IS NULL;
