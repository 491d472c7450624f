-- Credit facts keyed as the credit service keys them: a listing by its id (an
-- organization may be on one list on several grounds, each removed on its
-- own), a penalty by its id (a decision number is unique per kind only). The
-- tables are rebuilt from the credit stream: its consumer starts again from
-- the first event.
DROP TABLE listings;
DROP TABLE penalties;
TRUNCATE cases;
DELETE FROM consumed WHERE stream = 'credit';

CREATE TABLE penalties (
    penalty_id              bigint PRIMARY KEY,
    uscc                    text NOT NULL,
    decision_number         text NOT NULL,
    decided_on              date NOT NULL
);
CREATE INDEX penalties_uscc ON penalties (uscc);

CREATE TABLE listings (
    listing_id              bigint PRIMARY KEY,
    uscc                    text NOT NULL,
    list                    text NOT NULL,
    open                    boolean NOT NULL
);
CREATE INDEX listings_open ON listings (uscc) WHERE open;
