-- registry: applications, organizations and the per-authority code sequences.

-- An application as submitted; `basic` is the packed npo.BasicInfo, so the
-- approval reproduces exactly what was reviewed.
CREATE TABLE applications (
    id                  bigserial PRIMARY KEY,
    kind                text NOT NULL CHECK (kind IN ('establishment')),
    status              text NOT NULL DEFAULT 'submitted'
                        CHECK (status IN ('submitted', 'accepted', 'approved', 'rejected')),
    idempotency_key     text UNIQUE,
    name                text NOT NULL,
    authority_division  text NOT NULL,
    basic               bytea NOT NULL,
    submitted_at        timestamptz NOT NULL DEFAULT now (),
    submitted_by        text NOT NULL,
    decided_at          timestamptz,
    decided_by          text,
    decided_on          date,
    reason              text,
    uscc                text
);

-- Last organization-code sequence number used by each authority; its row
-- lock serializes concurrent approvals of one authority (no gaps, no twins).
CREATE TABLE code_sequences (
    authority_division  text PRIMARY KEY,
    last                bigint NOT NULL
);

-- Catalog section 1 (basic information); column names are the BasicInfo
-- field names (registry_db.c maps them by reflection).
CREATE TABLE organizations (
    uscc                        text PRIMARY KEY CHECK (length (uscc) = 18),
    org_code                    text NOT NULL UNIQUE,
    status                      text NOT NULL DEFAULT 'active'
                                CHECK (status IN ('active', 'deregistered', 'revoked')),
    approved_on                 date NOT NULL,
    application_id              bigint NOT NULL REFERENCES applications (id),
    version                     bigint NOT NULL DEFAULT 1,
    created_at                  timestamptz NOT NULL DEFAULT now (),
    updated_at                  timestamptz NOT NULL DEFAULT now (),
    name                        text NOT NULL,
    type                        text NOT NULL
                                CHECK (type IN ('social_group', 'social_service', 'foundation', 'other')),
    registration_authority      text NOT NULL,
    registration_authority_code text NOT NULL DEFAULT '',
    authority_division          text NOT NULL,
    business_unit               text NOT NULL DEFAULT '',
    business_unit_code          text NOT NULL DEFAULT '',
    decoupled                   boolean NOT NULL DEFAULT false,
    party_work_body             text NOT NULL DEFAULT '',
    industry                    text NOT NULL DEFAULT '',
    legal_representative        text NOT NULL,
    address_division            text NOT NULL DEFAULT '',
    address                     text NOT NULL DEFAULT '',
    postal_code                 text NOT NULL DEFAULT '',
    contact_name                text NOT NULL DEFAULT '',
    contact_phone               text NOT NULL DEFAULT '',
    business_scope              text NOT NULL DEFAULT '',
    registered_capital          numeric(16, 2),
    activity_area               text NOT NULL DEFAULT ''
);
-- Names are unique among the active organizations of one authority.
CREATE UNIQUE INDEX organizations_active_name
    ON organizations (authority_division, name) WHERE status = 'active';
CREATE INDEX organizations_authority ON organizations (authority_division);
