-- The zone a certificate or letter was issued in: its dates are read in this zone for good, so a
-- later change of the agency's (or the platform's) zone does not move them. Existing records take
-- their agency's zone as it stands now; where that is the platform default (NULL here), the server
-- pins them to the platform default at its next start (`clock::pin_record_zones`).
ALTER TABLE certificates ADD COLUMN time_zone TEXT;
ALTER TABLE recognition_letters ADD COLUMN time_zone TEXT;
UPDATE certificates SET time_zone = (SELECT a.time_zone FROM agencies a WHERE a.id = certificates.agency_id);
UPDATE recognition_letters SET time_zone = (SELECT a.time_zone FROM agencies a WHERE a.id = recognition_letters.agency_id);
