-- Requests a client sent with an Idempotency-Key header (an offline device syncing its queue):
-- a retry of the same action finds the first answer here instead of acting twice. The key is the
-- client's, unique per user; `request` (method and path) refuses a key reused for another action.
CREATE TABLE idempotency_keys (
    user_id BIGINT NOT NULL REFERENCES users (id),
    key TEXT NOT NULL,
    request TEXT NOT NULL,
    response TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, key)
);
