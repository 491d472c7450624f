-- Each public event carries the organization's public record as it stood
-- after the event, so a region can mirror the records from the stream alone.
ALTER TABLE public_events ADD COLUMN record text;
