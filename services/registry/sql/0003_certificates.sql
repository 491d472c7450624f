-- Registration certificates (catalog section 4): one row per issue; the
-- current one is valid, earlier ones superseded, and a deregistered
-- organization's certificate revoked.
CREATE TABLE certificates (
    number              text PRIMARY KEY,
    uscc                text NOT NULL REFERENCES organizations (uscc),
    version             int NOT NULL,
    status              text NOT NULL CHECK (status IN ('valid', 'superseded', 'revoked')),
    valid_from          date NOT NULL,
    valid_to            date NOT NULL,
    issued_on           date NOT NULL,
    activity_area       text NOT NULL DEFAULT '',
    issuing_authority   text NOT NULL,
    canonical           text NOT NULL,
    token               text NOT NULL,
    public_key          text NOT NULL,
    UNIQUE (uscc, version)
);
CREATE UNIQUE INDEX certificates_current ON certificates (uscc) WHERE status = 'valid';
