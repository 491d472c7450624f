-- Data-quality findings on the records a province returned (docs/import.md
-- section 6), kept by the service that owns the record's section. A finding
-- is open while fixed_on is null; the same rule on the same record and field
-- is one open finding, however often it is found again.
CREATE TABLE findings (
    id          bigserial PRIMARY KEY,
    province    text NOT NULL,
    section     int NOT NULL,
    record_ref  text NOT NULL,
    uscc        text NOT NULL DEFAULT '',
    rule        text NOT NULL,
    field       text NOT NULL DEFAULT '',
    detail      text NOT NULL DEFAULT '',
    value       text NOT NULL DEFAULT '',
    outcome     text NOT NULL,
    path        text NOT NULL DEFAULT '',
    line        bigint NOT NULL DEFAULT 0,
    found_on    date NOT NULL,
    due_by      date,
    fixed_on    date
);
CREATE UNIQUE INDEX findings_open ON findings (province, section, record_ref, rule, field)
    WHERE fixed_on IS NULL;
-- Lateness is counted, not corrected: one closed stale_source per record and
-- source time
CREATE UNIQUE INDEX findings_stale ON findings (province, section, record_ref, detail)
    WHERE rule = 'stale_source';
CREATE INDEX findings_province ON findings (province, fixed_on, due_by);
