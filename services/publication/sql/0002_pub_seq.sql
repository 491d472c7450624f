-- The public event seq of each record's last change: Redis keeps the highest
-- seq it holds (npo:pub_seq), so publication rewrites exactly what Redis
-- missed after a crash between commit and cache write.
ALTER TABLE orgs ADD COLUMN pub_seq bigint NOT NULL DEFAULT 0;
UPDATE orgs o SET pub_seq = coalesce ((SELECT max (seq) FROM public_events e
                                       WHERE e.uscc = o.uscc), 0);
CREATE INDEX orgs_pub_seq ON orgs (pub_seq);
