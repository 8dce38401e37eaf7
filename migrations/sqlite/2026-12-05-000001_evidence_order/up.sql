-- A person's evidence is read newest first, on every visit to their profile: an index in that
-- order spares sorting it each time. It replaces the index on user_id alone, which it covers.
CREATE INDEX competency_evidence_user_earned ON competency_evidence (user_id, earned_at DESC, id DESC);
DROP INDEX competency_evidence_user;
