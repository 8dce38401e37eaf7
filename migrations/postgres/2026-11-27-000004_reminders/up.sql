-- Reminders already sent, by kind and key (e.g. "jp-q4" / "2026:42"), so that each goes out once
-- however many servers run the reminder loop: the row is inserted in the transaction that queues
-- the mail, and the primary key refuses a second one.
CREATE TABLE reminders_sent (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, key)
);

