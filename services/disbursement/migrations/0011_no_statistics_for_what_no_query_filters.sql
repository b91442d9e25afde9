-- Statistics only for the columns queries filter, join or group on: autovacuum analyses payments every 10 s
-- or so while a campaign writes them, and the encrypted payee and the bank's words need none.
ALTER TABLE payments ALTER COLUMN payee_name_enc SET STATISTICS 0,
                     ALTER COLUMN payee_account_enc SET STATISTICS 0,
                     ALTER COLUMN payee_account_masked SET STATISTICS 0,
                     ALTER COLUMN failure_reason SET STATISTICS 0,
                     ALTER COLUMN bank_reference SET STATISTICS 0;
