-- A case's payment may wait for its campaign's budget to be topped up.
ALTER TABLE cases DROP CONSTRAINT cases_payment_status_check;
ALTER TABLE cases ADD CONSTRAINT cases_payment_status_check
    CHECK (payment_status IN ('waiting', 'instructed', 'settled', 'failed'));
