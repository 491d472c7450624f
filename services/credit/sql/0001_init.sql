-- credit: the organizations it keeps records of (from the registry stream),
-- administrative penalties (catalog section 11), and the audit trail.
-- Case filings, fundraising penalties and the two credit lists: issue 5.

CREATE TABLE orgs (
    uscc                text PRIMARY KEY,
    name                text NOT NULL,
    type                text NOT NULL,
    status              text NOT NULL,
    authority_division  text NOT NULL,
    version             bigint NOT NULL
);

CREATE TABLE penalties (
    id                  bigserial PRIMARY KEY,
    uscc                text NOT NULL REFERENCES orgs (uscc),
    name                text NOT NULL,
    penalty_name        text NOT NULL,
    decision_number     text NOT NULL UNIQUE,
    facts               text NOT NULL,
    legal_basis         text NOT NULL,
    result              text NOT NULL CHECK (result IN ('warning', 'fine', 'confiscation',
                            'stop_activities', 'revoke_registration', 'other')),
    fine_amount         numeric(16, 2),
    stop_months         int,
    authority           text NOT NULL,
    decided_on          date NOT NULL,
    recorded_by         text NOT NULL,
    recorded_at         timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX penalties_uscc ON penalties (uscc);

CREATE TABLE audit (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now (),
    request_id      text NOT NULL,
    actor           text NOT NULL,
    role            text NOT NULL,
    command         text NOT NULL,
    target          text NOT NULL,
    status          text NOT NULL,
    error_code      text NOT NULL
);
