-- 变更内容 (section 9) in the public change list.
ALTER TABLE changes ADD COLUMN content text NOT NULL DEFAULT '';
