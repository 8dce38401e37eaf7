-- Facts that grant rights (agency, unit, position, supervisor) are set by an administrator of
-- the agency concerned. A person asks for a change with a placement request; the admin of the
-- agency they ask to be placed in approves or rejects it. Existing placements stay as they are.
CREATE TABLE placement_requests (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    agency_id BIGINT NOT NULL REFERENCES agencies (id),
    unit_id BIGINT REFERENCES units (id),
    position_id BIGINT REFERENCES positions (id),
    -- as the person typed it: resolved by the admin when approving, so that the form tells the
    -- person nothing about which addresses have accounts
    supervisor_email TEXT,
    note TEXT NOT NULL DEFAULT '',
    -- pending, approved, rejected, withdrawn
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    decided_by BIGINT REFERENCES users (id),
    decided_at TIMESTAMP,
    decision_note TEXT
);
CREATE INDEX placement_requests_status_agency ON placement_requests (status, agency_id);
CREATE INDEX placement_requests_user ON placement_requests (user_id);

-- The agency-admin role cannot exist without an agency: an account that had it without one
-- administered nothing (it was read as "every agency" on one page); the role is dropped.
UPDATE users SET is_agency_admin = FALSE WHERE is_agency_admin AND agency_id IS NULL;
