-- A batch the bank booked as one lump debit is detailed in that day's camt.054, kept beside the statement.
ALTER TABLE statements ADD COLUMN notification bytea;
