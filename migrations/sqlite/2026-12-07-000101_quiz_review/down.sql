ALTER TABLE modules DROP COLUMN review;
