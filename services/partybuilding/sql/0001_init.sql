-- party: party organizations (catalog section 5) and party members (section
-- 6) of social organizations, the organizations (from the registry stream),
-- and the audit trail of every command, reads included. Persons live here
-- only: never in events, never public.

CREATE TABLE orgs (
    uscc                text PRIMARY KEY,
    name                text NOT NULL,
    type                text NOT NULL,
    status              text NOT NULL,
    authority_division  text NOT NULL,
    version             bigint NOT NULL
);

-- One active party organization per social organization. `doc` holds the
-- section 5 fields as npo.PartyOrg JSON (secretary and contact included).
CREATE TABLE party_orgs (
    id                  bigserial PRIMARY KEY,
    uscc                text NOT NULL REFERENCES orgs (uscc),
    party_org_type      text NOT NULL CHECK (party_org_type IN ('committee', 'general_branch',
                            'branch', 'joint_branch', 'provisional')),
    founded_on          date NOT NULL,
    member_count        int NOT NULL CHECK (member_count >= 0),
    status              text NOT NULL CHECK (status IN ('active', 'dissolved')),
    dissolved_on        date,
    dissolved_reason    text,
    doc                 jsonb NOT NULL,
    updated_by          text NOT NULL,
    updated_at          timestamptz NOT NULL DEFAULT now (),
    CHECK ((status = 'dissolved') = (dissolved_on IS NOT NULL))
);
CREATE UNIQUE INDEX party_orgs_one_active ON party_orgs (uscc) WHERE status = 'active';

-- Members: on the register ('in') of one party organization at a time; a
-- transfer out keeps the row as history. `doc` is npo.PartyMember JSON.
CREATE TABLE members (
    id                  bigserial PRIMARY KEY,
    party_org_id        bigint NOT NULL REFERENCES party_orgs (id),
    uscc                text NOT NULL,
    id_type             text NOT NULL,
    id_number           text NOT NULL,
    status              text NOT NULL CHECK (status IN ('in', 'transferred_out')),
    transferred_out_to  text,
    transferred_out_on  date,
    doc                 jsonb NOT NULL,
    updated_by          text NOT NULL,
    updated_at          timestamptz NOT NULL DEFAULT now (),
    CHECK ((status = 'transferred_out') = (transferred_out_on IS NOT NULL))
);
CREATE UNIQUE INDEX members_one_register ON members (id_type, id_number) WHERE status = 'in';
CREATE INDEX members_party_org ON members (party_org_id) WHERE status = 'in';

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
