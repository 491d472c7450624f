-- A grade past its valid_to is expired by the sweep (the daily one too).
ALTER TABLE evaluations DROP CONSTRAINT evaluations_state_check;
ALTER TABLE evaluations ADD CONSTRAINT evaluations_state_check
    CHECK (state IN ('valid', 'superseded', 'expired'));
