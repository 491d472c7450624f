-- Data return (docs/import.md, sections 02 and 03): a province may return an
-- officer without the post's dates (section 02 names none). The post is
-- stored without them and flagged missing_related until its section 03
-- record gives them.
ALTER TABLE officer_posts ALTER COLUMN start_on DROP NOT NULL;
ALTER TABLE officer_posts ALTER COLUMN appointed_on DROP NOT NULL;
