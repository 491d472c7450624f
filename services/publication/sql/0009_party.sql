-- The public side of the party stream: whether an organization has a party
-- organization (the record's party_organization, coverage in /v1/stats).
-- Nothing about persons reaches publication.
CREATE TABLE party_orgs (
    uscc            text PRIMARY KEY,
    active          boolean NOT NULL,
    source_event    text NOT NULL
);
