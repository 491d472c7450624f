-- Search: each organization's number in the name index publication keeps in
-- Redis (sx:<bigram>, sxn, sxd:<sid / 100>). Stable across cache rebuilds, so
-- a search cursor stays valid while Redis is rebuilt.
ALTER TABLE orgs ADD COLUMN sid bigserial;
CREATE UNIQUE INDEX orgs_sid ON orgs (sid);
