-- inspection: the organizations it oversees (from the registry stream), annual
-- reports and their results (catalog sections 16 and 17), evaluations (10),
-- audits (8), the credit facts evaluation eligibility depends on (from the
-- credit stream), and the audit trail of commands.

CREATE TABLE orgs (
    uscc                    text PRIMARY KEY,
    name                    text NOT NULL,
    type                    text NOT NULL,
    status                  text NOT NULL,
    authority_division      text NOT NULL,
    registration_authority  text NOT NULL,
    business_unit           text NOT NULL,
    approved_on             date NOT NULL,
    version                 bigint NOT NULL
);
CREATE INDEX orgs_active ON orgs (approved_on) WHERE status = 'active';

-- One record per organization and year: submitted -> reviewed, or not_filed
-- (marked by the deadline sweep; a late report keeps marked_on).
CREATE TABLE reports (
    id                      bigserial PRIMARY KEY,
    uscc                    text NOT NULL REFERENCES orgs (uscc),
    year                    int NOT NULL,
    kind                    text NOT NULL CHECK (kind IN ('annual_inspection', 'annual_report')),
    status                  text NOT NULL CHECK (status IN ('submitted', 'reviewed', 'not_filed')),
    result                  text CHECK (result IN ('qualified', 'basically_qualified',
                                                   'unqualified', 'not_filed')),
    submitted_on            date,
    submitted_by            text,
    late                    boolean NOT NULL DEFAULT false,
    business_unit_opinion   text,
    detail                  jsonb,          -- section 17, npo.ReportDetail as JSON
    total_assets            numeric(18, 2),
    total_liabilities       numeric(18, 2),
    income                  numeric(18, 2),
    expenses                numeric(18, 2),
    rectification           text,
    rectification_deadline  date,
    reviewed_on             date,
    reviewed_by             text,
    marked_on               date,           -- marked not_filed by the sweep as of this day
    updated_at              timestamptz NOT NULL DEFAULT now (),
    UNIQUE (uscc, year),
    CHECK ((status = 'reviewed') = (result IS NOT NULL AND result <> 'not_filed')),
    CHECK ((status = 'not_filed') = (result IS NOT DISTINCT FROM 'not_filed')),
    CHECK (status = 'not_filed' OR (submitted_on IS NOT NULL AND detail IS NOT NULL))
);
CREATE INDEX reports_year ON reports (year, result);

CREATE TABLE evaluations (
    id                      bigserial PRIMARY KEY,
    uscc                    text NOT NULL REFERENCES orgs (uscc),
    name                    text NOT NULL,
    type                    text NOT NULL,
    social_group_category   text,
    is_charity              boolean NOT NULL,
    registration_authority  text NOT NULL,
    business_unit           text NOT NULL,
    evaluator               text NOT NULL,
    grade                   text NOT NULL CHECK (grade IN ('1A', '2A', '3A', '4A', '5A')),
    valid_from              date NOT NULL,
    valid_to                date NOT NULL,
    state                   text NOT NULL CHECK (state IN ('valid', 'superseded')),
    recorded_by             text NOT NULL,
    recorded_at             timestamptz NOT NULL DEFAULT now ()
);
CREATE UNIQUE INDEX evaluations_one_valid ON evaluations (uscc) WHERE state = 'valid';

-- Audits (section 8; "audit" below is the trail of commands). One is due when a registry event calls for one (source_event), and
-- done when recorded.
CREATE TABLE org_audits (
    id                      bigserial PRIMARY KEY,
    uscc                    text NOT NULL REFERENCES orgs (uscc),
    name                    text NOT NULL,
    reason_category         text NOT NULL CHECK (reason_category IN ('annual', 'leaving_office',
                                'deregistration', 'special', 'other')),
    status                  text NOT NULL CHECK (status IN ('due', 'done')),
    due_since               date,
    source_event            text UNIQUE,
    firm                    text,
    accountant              text,
    occurred_on             date,
    content                 text,
    result                  text,
    recorded_by             text,
    recorded_at             timestamptz,
    CHECK (status = 'due' OR (firm IS NOT NULL AND occurred_on IS NOT NULL))
);
CREATE INDEX org_audits_uscc ON org_audits (uscc);

-- Credit facts, from the credit stream (no foreign key: the two streams are
-- consumed independently, either may come first).
CREATE TABLE penalties (
    decision_number         text PRIMARY KEY,
    uscc                    text NOT NULL,
    decided_on              date NOT NULL
);
CREATE INDEX penalties_uscc ON penalties (uscc);

CREATE TABLE cases (
    case_number             text PRIMARY KEY,
    uscc                    text NOT NULL,
    stage                   text NOT NULL
);
CREATE INDEX cases_uscc ON cases (uscc);

CREATE TABLE listings (
    uscc                    text NOT NULL,
    list                    text NOT NULL,
    listed                  boolean NOT NULL,
    PRIMARY KEY (uscc, list)
);

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
