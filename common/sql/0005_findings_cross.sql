-- Findings of the rules across records and services (docs/import.md 6.1),
-- which the check at the end of an import opens and closes over all of a
-- province's organizations: a later import that reads one of their records
-- again does not close them for not finding them on that record alone.
ALTER TABLE findings ADD COLUMN cross_source boolean NOT NULL DEFAULT false;
