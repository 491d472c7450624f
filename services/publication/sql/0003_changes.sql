-- Public change history (catalog section 9, public items only) and its
-- rendered JSON, served as changes:<uscc> by the gateway.
CREATE TABLE changes (
    id              bigserial PRIMARY KEY,
    uscc            text NOT NULL,
    item            text NOT NULL,
    before          text NOT NULL,
    after           text NOT NULL,
    approved_on     text NOT NULL,
    source_event    text NOT NULL
);
CREATE INDEX changes_uscc ON changes (uscc);
ALTER TABLE orgs ADD COLUMN changes_doc text NOT NULL DEFAULT '[]';
