-- One more index every payment write kept up for no query: a case's payments are found by payment id,
-- and re-issues by reissue_of (payments_reissue_once); the one payment per case is payments_first_per_case.
DROP INDEX payments_case;
