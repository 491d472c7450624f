-- Data return (docs/import.md, sections 07 and 09): a province returns
-- deregistrations and changes its own system approved, with no application
-- of ours. An imported change is keyed by organization, item and approval
-- date (one item changed by one approval).
ALTER TABLE changes ALTER COLUMN application_id DROP NOT NULL;
ALTER TABLE deregistrations ALTER COLUMN application_id DROP NOT NULL;
CREATE UNIQUE INDEX changes_imported ON changes (uscc, item, approved_on)
    WHERE application_id IS NULL;
