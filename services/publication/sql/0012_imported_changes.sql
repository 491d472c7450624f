-- Changes a province returned (docs/import.md 09) are history keyed by item
-- and approval date: a corrected one replaces the row an import made before.
ALTER TABLE changes ADD COLUMN imported boolean NOT NULL DEFAULT false;
