-- The campaign an event belongs to (where its payload names one), sent as the record's campaign header:
-- a reader that follows only some campaigns (loans: its subsidy funds' payments) passes over the others
-- without parsing them.
ALTER TABLE outbox ADD COLUMN campaign text;
