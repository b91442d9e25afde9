-- A case's payment may come back from the payee's bank: it needs a corrected account, then is re-issued.
ALTER TABLE cases DROP CONSTRAINT cases_payment_status_check;
ALTER TABLE cases ADD CONSTRAINT cases_payment_status_check
    CHECK (payment_status IN ('waiting', 'instructed', 'settled', 'failed', 'returned'));
