-- Statistics only for the columns queries filter, join or group on. Autovacuum analyses cases every 10 s
-- or so while a campaign writes them (autovacuum_naptime 10s, a tenth changed), and each analysis built
-- statistics for the rules that fired, the assessment's inputs and the encrypted payee too: 1.74 s of CPU
-- an analysis at 100,000 cases, 13 s of the machine's two cores in a 100,000-recipient campaign. Without
-- them, 0.63 s. The same for the wide columns of the case history and the hardship files.
ALTER TABLE cases ALTER COLUMN reasons SET STATISTICS 0,
                  ALTER COLUMN inputs SET STATISTICS 0,
                  ALTER COLUMN application SET STATISTICS 0,
                  ALTER COLUMN decision_hash SET STATISTICS 0,
                  ALTER COLUMN decision_reason SET STATISTICS 0,
                  ALTER COLUMN payment_reason SET STATISTICS 0,
                  ALTER COLUMN payee_name_enc SET STATISTICS 0,
                  ALTER COLUMN payee_account_enc SET STATISTICS 0,
                  ALTER COLUMN approvals SET STATISTICS 0,
                  ALTER COLUMN excluded_approvers SET STATISTICS 0;
ALTER TABLE case_history ALTER COLUMN detail SET STATISTICS 0;
ALTER TABLE hardship_files ALTER COLUMN grading SET STATISTICS 0,
                           ALTER COLUMN name_enc SET STATISTICS 0,
                           ALTER COLUMN national_id_enc SET STATISTICS 0,
                           ALTER COLUMN causes SET STATISTICS 0;
