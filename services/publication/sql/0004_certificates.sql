-- Certificates as the gateway verifies them: `doc` (JSON: number, uscc,
-- version, status, canonical, public_key) is served from Redis as
-- cert:<number>. pub_seq: the public event of the last change, like orgs.
CREATE TABLE certificates (
    number          text PRIMARY KEY,
    uscc            text NOT NULL,
    status          text NOT NULL,
    doc             text NOT NULL,
    pub_seq         bigint NOT NULL DEFAULT 0
);
CREATE INDEX certificates_pub_seq ON certificates (pub_seq);
