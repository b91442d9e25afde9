-- Returns and re-issue: a paid line the payee's bank sent back (reconciliation's RETURNED) is reversed
-- in the ledger (paid back to available) and the payment marked returned; once the caseworker has
-- corrected the payee's account, the entitlement is paid again as a new payment linked to the first.
-- A returned payment is re-issued at most once (the unique reissue_of), so a case is never paid twice.
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
    CHECK (status IN ('waiting', 'instructed', 'settled', 'failed', 'returned'));
ALTER TABLE payments ADD COLUMN reissue_of uuid UNIQUE REFERENCES payments;
ALTER TABLE payments ADD COLUMN return_reason text;
ALTER TABLE payments DROP CONSTRAINT payments_case_id_key;
CREATE UNIQUE INDEX payments_first_per_case ON payments (case_id) WHERE reissue_of IS NULL;
CREATE INDEX payments_case ON payments (case_id);

ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_check
    CHECK (kind IN ('fund', 'reserve', 'settle', 'release', 'return'));
