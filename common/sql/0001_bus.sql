-- The bus tables every service schema has (common/bus.c).
-- outbox: the service's event log, gapless seq in commit order (outbox_seq's
-- row lock serializes appenders); kept, pruned only by explicit retention.
CREATE TABLE outbox (
    seq         bigint PRIMARY KEY,
    topic       text NOT NULL,
    org_uscc    text NOT NULL DEFAULT '',
    division    text NOT NULL DEFAULT '',
    envelope    bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now ()
);
CREATE TABLE outbox_seq (
    id          int PRIMARY KEY CHECK (id = 1),
    last        bigint NOT NULL
);
INSERT INTO outbox_seq VALUES (1, 0);
-- consumed: how far this service has applied each stream it consumes,
-- advanced in the same transaction as the effect of the events.
CREATE TABLE consumed (
    stream      text PRIMARY KEY,
    last_seq    bigint NOT NULL
);
