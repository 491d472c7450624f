-- ListFindings answers a page at a time in this order, after a cursor (the
-- place of the last row of the page before): an index walks it from there
CREATE INDEX findings_list ON findings (province, found_on, section, record_ref, rule, field, id);
