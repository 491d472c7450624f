-- publication: the public projection (the truth for public data; Redis is a
-- cache rebuilt from it) and the public event log.

-- One public record per organization: `doc` is the rendered public JSON the
-- gateway serves as-is; it holds allow-listed fields only.
CREATE TABLE orgs (
    uscc            text PRIMARY KEY,
    division        text NOT NULL,
    name            text NOT NULL,
    type            text NOT NULL,
    status          text NOT NULL,
    version         bigint NOT NULL,
    doc             text NOT NULL,
    source_event    text NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX orgs_division ON orgs (division);

-- The public event log: a global seq and a per-province seq (province = first
-- two digits of the division, "10" for national). source_event is unique: an
-- internal event becomes at most one public event.
CREATE TABLE public_events (
    seq             bigint PRIMARY KEY,
    province        text NOT NULL,
    province_seq    bigint NOT NULL,
    type            text NOT NULL,
    uscc            text NOT NULL,
    division        text NOT NULL,
    doc             text NOT NULL,
    source_event    text NOT NULL UNIQUE,
    occurred_at     timestamptz NOT NULL,
    UNIQUE (province, province_seq)
);
-- Last seq given out per province; '' holds the global one.
CREATE TABLE public_seq (
    province        text PRIMARY KEY,
    last            bigint NOT NULL
);
