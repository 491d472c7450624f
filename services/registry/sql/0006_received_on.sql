-- The date an authority received an application (收件日期), when it was
-- entered later than that: paper applications, records taken over from an
-- older system. A decision may not be dated before it.
ALTER TABLE applications ADD COLUMN received_on date;
