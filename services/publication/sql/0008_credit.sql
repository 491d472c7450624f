-- The public side of the credit stream: penalties on organizations (section
-- 11, and fundraising penalties whose party is an organization), case filings
-- (the record counts the open ones; the public event log has each filing),
-- and the two credit lists (14, 15).
CREATE TABLE penalties (
    penalty_id          bigint PRIMARY KEY,
    uscc                text NOT NULL,
    kind                text NOT NULL,
    penalty_name        text NOT NULL,
    decision_number     text NOT NULL,
    facts               text NOT NULL,
    legal_basis         text NOT NULL,
    result              text NOT NULL,
    fine_amount         text,
    stop_months         int,
    authority           text NOT NULL,
    decided_on          text NOT NULL,
    source_event        text NOT NULL
);
CREATE INDEX penalties_uscc ON penalties (uscc);

CREATE TABLE cases (
    case_number         text PRIMARY KEY,
    uscc                text NOT NULL,
    open                boolean NOT NULL
);
CREATE INDEX cases_uscc ON cases (uscc);

-- Every listing, open or removed; `doc` is its public JSON (Redis
-- listing:<id>, and a member of list:<list>:<prefix> while open).
CREATE TABLE listings (
    listing_id          bigint PRIMARY KEY,
    uscc                text NOT NULL,
    list                text NOT NULL,
    ground              int NOT NULL,
    reason              text NOT NULL,
    listed_on           text NOT NULL,
    removed_on          text,
    division            text NOT NULL,
    doc                 text NOT NULL,
    pub_seq             bigint NOT NULL
);
CREATE INDEX listings_uscc ON listings (uscc);
CREATE INDEX listings_pub_seq ON listings (pub_seq);
