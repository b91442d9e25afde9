-- Two indexes that every payment write kept up for nothing (a payment's row is written three times and
-- has two or three ledger entries, and each write inserted into every index of its table):
-- ledger_entries_payment repeats the leading column of the unique (payment_id, kind) index, and the
-- unique constraint on reissue_of indexed the NULL of every first payment, where only re-issues need
-- the index (unique as before).
DROP INDEX ledger_entries_payment;
ALTER TABLE payments DROP CONSTRAINT payments_reissue_of_key;
CREATE UNIQUE INDEX payments_reissue_once ON payments (reissue_of) WHERE reissue_of IS NOT NULL;
