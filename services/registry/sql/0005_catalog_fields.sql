-- Catalog fields that had no home yet: an officer's employer (section 3,
-- 工作单位) and the change content (section 9, 变更内容).
ALTER TABLE officer_posts ADD COLUMN employer text NOT NULL DEFAULT '';
ALTER TABLE changes ADD COLUMN content text NOT NULL DEFAULT '';
