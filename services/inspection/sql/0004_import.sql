-- A returned audit (docs/import.md section 08) may lack its firm: the import
-- stores a record without a `full` field and flags it (missing_required), so
-- a done audit needs only its date.
ALTER TABLE org_audits DROP CONSTRAINT org_audits_check;
ALTER TABLE org_audits ADD CONSTRAINT org_audits_check
    CHECK (status = 'due' OR occurred_on IS NOT NULL);
