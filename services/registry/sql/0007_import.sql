-- Data return (docs/import.md): an organization a province's system
-- registered comes with its own code and no application of ours.
ALTER TABLE organizations ALTER COLUMN application_id DROP NOT NULL;
