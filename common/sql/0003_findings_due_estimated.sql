-- The working-day calendar (docs/import.md 6.5): a due_by counted Monday to
-- Friday because the State Council's notice of a year it spans is not held
-- is marked, and recomputed when the year is added (npo_findings_redate, at
-- the registry's start). Every due_by before this was counted Monday to
-- Friday: all are marked, and the first start recomputes those it can.
ALTER TABLE findings ADD COLUMN due_by_estimated boolean NOT NULL DEFAULT false;
UPDATE findings SET due_by_estimated = true WHERE due_by IS NOT NULL;
CREATE INDEX findings_estimated ON findings (found_on) WHERE due_by_estimated;
