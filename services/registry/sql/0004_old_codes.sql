-- Organizations registered before 2016: their old organization code (GB 11714)
-- and old certificate number, each mapped to the new code for life.
CREATE TABLE old_codes (
    uscc                    text PRIMARY KEY REFERENCES organizations (uscc),
    old_org_code            text UNIQUE,
    old_certificate_number  text UNIQUE,
    recorded_at             timestamptz NOT NULL DEFAULT now ()
);
