-- The registration lifecycle: change and deregistration applications, the
-- accept step, changes (section 9), deregistrations (section 7), charters,
-- officers and their posts (sections 2, 3), and the audit trail.

ALTER TABLE applications DROP CONSTRAINT applications_kind_check;
ALTER TABLE applications ADD CONSTRAINT applications_kind_check
    CHECK (kind IN ('establishment', 'change', 'deregistration'));
-- basic: the BasicInfo of an establishment; body: the whole packed
-- SubmitApplication of a change or deregistration.
ALTER TABLE applications ALTER COLUMN basic DROP NOT NULL;
ALTER TABLE applications ADD COLUMN body bytea;
ALTER TABLE applications ADD COLUMN target_uscc text;
ALTER TABLE applications ADD COLUMN accepted_at timestamptz;
ALTER TABLE applications ADD COLUMN accepted_by text;
ALTER TABLE applications ADD COLUMN charter text;
CREATE INDEX applications_target ON applications (target_uscc);

CREATE TABLE changes (
    id              bigserial PRIMARY KEY,
    uscc            text NOT NULL REFERENCES organizations (uscc),
    application_id  bigint NOT NULL REFERENCES applications (id),
    item            text NOT NULL,
    before          text NOT NULL,
    after           text NOT NULL,
    approved_on     date NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX changes_uscc ON changes (uscc);

CREATE TABLE deregistrations (
    uscc                text PRIMARY KEY REFERENCES organizations (uscc),
    application_id      bigint NOT NULL REFERENCES applications (id),
    reason              text NOT NULL,
    deregistered_on     date NOT NULL,
    liquidation_leader  text NOT NULL DEFAULT '',
    liquidation_phone   text NOT NULL DEFAULT ''
);

-- Charters (章程) with versions; the approved current one has current = true.
CREATE TABLE charters (
    uscc            text NOT NULL REFERENCES organizations (uscc),
    version         int NOT NULL,
    text            text NOT NULL,
    approved_on     date NOT NULL,
    current         boolean NOT NULL,
    PRIMARY KEY (uscc, version)
);
CREATE UNIQUE INDEX charters_current ON charters (uscc) WHERE current;

-- Officers (section 2) in their posts (section 3): one row per post held or
-- held before. org_type is copied so that one index can enforce that a person
-- is legal representative of at most one social group at a time.
CREATE TABLE officer_posts (
    id                  bigserial PRIMARY KEY,
    org_uscc            text NOT NULL REFERENCES organizations (uscc),
    org_type            text NOT NULL,
    name                text NOT NULL,
    birth_date          date,
    gender              text NOT NULL DEFAULT '',
    ethnicity           text NOT NULL DEFAULT '',
    nationality         text NOT NULL DEFAULT '',
    id_type             text NOT NULL,
    id_number           text NOT NULL,
    political_status    text NOT NULL DEFAULT '',
    mail_address        text NOT NULL DEFAULT '',
    postal_code         text NOT NULL DEFAULT '',
    mobile              text NOT NULL DEFAULT '',
    phone               text NOT NULL DEFAULT '',
    position            text NOT NULL,
    full_time           boolean NOT NULL DEFAULT false,
    appointed_on        date NOT NULL,
    start_on            date NOT NULL,
    end_on              date
);
CREATE UNIQUE INDEX officer_posts_one_social_group_lr ON officer_posts (id_type, id_number)
    WHERE position = 'legal_representative' AND org_type = 'social_group' AND end_on IS NULL;
CREATE UNIQUE INDEX officer_posts_held ON officer_posts (org_uscc, id_type, id_number, position)
    WHERE end_on IS NULL;
CREATE INDEX officer_posts_person ON officer_posts (id_type, id_number);

-- Every command, accepted or refused.
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
CREATE INDEX audit_at ON audit (at);
