-- credit: case filings (section 12), charity public-fundraising penalties
-- (section 13), the abnormal activity list (14) and the serious violation
-- list (15), and the inspection facts the rules need.

ALTER TABLE orgs ADD COLUMN registration_authority text NOT NULL DEFAULT '';

-- A fundraising penalty on an organization is also a penalty (kind
-- fundraising): the same rules apply to it.
ALTER TABLE penalties ADD COLUMN kind text NOT NULL DEFAULT 'administrative'
    CHECK (kind IN ('administrative', 'fundraising'));
ALTER TABLE penalties ADD COLUMN event_id text;     -- its credit.penalty_recorded
ALTER TABLE penalties DROP CONSTRAINT penalties_decision_number_key;
ALTER TABLE penalties ADD CONSTRAINT penalties_decision_number_key UNIQUE (kind, decision_number);

-- Fundraising penalties on persons: the person is never public.
CREATE TABLE person_penalties (
    id                  bigserial PRIMARY KEY,
    party_name          text NOT NULL,
    id_type             text NOT NULL,
    id_number           text NOT NULL,
    contact             text,
    penalty_name        text NOT NULL,
    decision_number     text NOT NULL UNIQUE,
    facts               text NOT NULL,
    legal_basis         text NOT NULL,
    result              text NOT NULL,
    fine_amount         numeric(16, 2),
    stop_months         int,
    authority           text NOT NULL,
    decided_on          date NOT NULL,
    recorded_by         text NOT NULL,
    recorded_at         timestamptz NOT NULL DEFAULT now ()
);

CREATE TABLE cases (
    id                  bigserial PRIMARY KEY,
    uscc                text NOT NULL REFERENCES orgs (uscc),
    name                text NOT NULL,
    case_number         text NOT NULL UNIQUE,
    filed_on            date NOT NULL,
    stage               text NOT NULL CHECK (stage IN ('filed', 'investigating', 'closed')),
    authority_code      text NOT NULL,
    authority           text NOT NULL,
    authority_division  text NOT NULL,
    closed_on           date,
    recorded_by         text NOT NULL,
    updated_at          timestamptz NOT NULL DEFAULT now (),
    CHECK ((stage = 'closed') = (closed_on IS NOT NULL))
);
CREATE INDEX cases_uscc ON cases (uscc);

-- One row per listing on one ground. fact_key names the fact it rests on
-- ('not_filed:2025', 'penalty:<decision number>', ...), so a fact lists once.
-- The reason and facts are stored when listed: the explanation never depends
-- on recomputing the rules.
CREATE TABLE listings (
    id                  bigserial PRIMARY KEY,
    uscc                text NOT NULL,
    name                text NOT NULL,
    division            text NOT NULL,
    registration_authority text NOT NULL,
    list                text NOT NULL CHECK (list IN ('abnormal', 'serious')),
    ground              int NOT NULL,
    listed_on           date NOT NULL,
    listed_reason       text NOT NULL,
    facts               text[] NOT NULL,
    fact_key            text NOT NULL,
    year                int,                -- abnormal ground 1: the year not filed
    removed_on          date,
    removed_reason      text,
    removal             text CHECK (removal IN ('automatic', 'application', 'deregistration',
                                                'moved', 'correction')),
    recorded_by         text NOT NULL,
    recorded_at         timestamptz NOT NULL DEFAULT now (),
    removed_by          text,
    UNIQUE (uscc, list, ground, fact_key),
    CHECK ((removed_on IS NULL) = (removal IS NULL))
);
CREATE INDEX listings_open ON listings (uscc, list) WHERE removed_on IS NULL;

-- Annual reports filed, from the inspection stream: the obligation of an
-- abnormal listing on ground 1 is met once the year's report is in.
CREATE TABLE reports_filed (
    uscc                text NOT NULL,
    year                int NOT NULL,
    PRIMARY KEY (uscc, year)
);
