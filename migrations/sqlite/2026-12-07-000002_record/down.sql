DROP TABLE agency_jp_settings;
ALTER TABLE activities DROP COLUMN certificate_number;
ALTER TABLE plan_items DROP COLUMN planned_cost;
ALTER TABLE enrollments DROP COLUMN fee;
