ALTER TABLE courses DROP COLUMN fee;
ALTER TABLE activities DROP COLUMN cost;
DROP TABLE agency_budgets;
