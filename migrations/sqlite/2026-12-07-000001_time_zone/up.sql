-- An agency's time zone: Asia/Jakarta (WIB), Asia/Makassar (WITA) or Asia/Jayapura (WIT).
-- NULL (every existing agency) follows the platform default, the `time_zone` setting.
ALTER TABLE agencies ADD COLUMN time_zone TEXT;
