DROP TABLE outbox;
DROP TABLE rate_limits;
DROP TABLE user_tokens;
DROP TABLE users;
DROP TABLE positions;
DROP TABLE units;
DROP TABLE agencies;
