CREATE INDEX competency_evidence_user ON competency_evidence (user_id);
DROP INDEX competency_evidence_user_earned;
