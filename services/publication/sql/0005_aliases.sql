-- Other ways to name an organization, served as alias:<alias> -> uscc:
-- "oldcode:<GB 11714 code>" and "cert:<certificate number>" (old and new).
CREATE TABLE aliases (
    alias           text PRIMARY KEY,
    uscc            text NOT NULL,
    pub_seq         bigint NOT NULL DEFAULT 0
);
CREATE INDEX aliases_pub_seq ON aliases (pub_seq);
