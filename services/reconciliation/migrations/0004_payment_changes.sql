-- A payment is written twice here (instructed, then settled or failed). The index on updated_at, there
-- only for the change mark (max(updated_at): has anything changed since the last classification?), made
-- each of those updates a new entry in every index of the table. A counter the upsert bumps in the same
-- statement marks the change instead, and the rows get room on their page to be updated in place (HOT).
CREATE TABLE payment_changes (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    changes  bigint  NOT NULL DEFAULT 0
);
INSERT INTO payment_changes DEFAULT VALUES;
DROP INDEX payments_updated;
ALTER TABLE payments SET (fillfactor = 70);
