ALTER TABLE certificates DROP COLUMN partner_signatory_title;
ALTER TABLE certificates DROP COLUMN partner_signatory_name;
ALTER TABLE certificates DROP COLUMN partner;
DROP INDEX courses_provider;
ALTER TABLE courses DROP COLUMN provider_id;
DROP INDEX users_partner;
ALTER TABLE users DROP COLUMN partner_id;
DROP TABLE partners;
