-- The members of one organization (its count, its list) without scanning
-- the national register.
CREATE INDEX members_uscc ON members (uscc, status);
