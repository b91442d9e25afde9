-- name: latest_rule_set
SELECT rule_set_id, version, rules FROM rule_sets
WHERE programme = $1 AND region = $2 AND year = $3
ORDER BY version DESC LIMIT 1;

-- name: insert_hardship_file
INSERT INTO hardship_files (file_id, member_ref, region, level, national_id_enc, name_enc, valid_until, opened_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (member_ref, region) DO UPDATE
SET level = EXCLUDED.level, valid_until = EXCLUDED.valid_until, name_enc = EXCLUDED.name_enc,
    opened_by = EXCLUDED.opened_by, opened_at = now()
RETURNING file_id;

-- name: hardship_file
SELECT level, valid_until FROM hardship_files WHERE member_ref = $1 AND region = $2;

-- name: lock_member_in_campaign
SELECT pg_advisory_xact_lock(hashtext($1 || ':' || $2));

-- name: prior_awards
SELECT count(*) FROM cases
WHERE campaign = $1 AND member_ref = $2 AND status IN ('eligible', 'approved');

-- name: insert_case
INSERT INTO cases (case_id, programme, campaign, region, year, member_ref, payee_name_enc, payee_account_enc,
                   status, amount_fen, tier, rule_set_id, rule_set_version, reasons, approvals_required,
                   registered_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16);

-- name: case_for_update
SELECT * FROM cases WHERE case_id = $1 FOR UPDATE;

-- name: case_by_id
SELECT * FROM cases WHERE case_id = $1;

-- name: record_approval
UPDATE cases SET approvals = $2, status = $3, decided_by = CASE WHEN $3 = 'approved' THEN $4 END,
                 updated_at = now()
WHERE case_id = $1;

-- name: record_rejection
UPDATE cases SET status = 'rejected', decided_by = $2, decision_reason = $3, updated_at = now()
WHERE case_id = $1;

-- name: record_payment_outcome
UPDATE cases SET payment_id = $2, payment_status = $3, payment_reason = $4, updated_at = now()
WHERE case_id = $1
  AND (payment_status IS NULL OR payment_status = 'instructed' OR payment_status = $3);

-- name: campaign_summary
SELECT count(*)                                                   AS registered,
       count(*) FILTER (WHERE status <> 'ineligible')              AS eligible,
       count(*) FILTER (WHERE status = 'ineligible')              AS ineligible,
       count(*) FILTER (WHERE status = 'approved')                AS approved,
       count(*) FILTER (WHERE status = 'rejected')                AS rejected,
       count(*) FILTER (WHERE status = 'eligible')                AS awaiting_approval,
       count(*) FILTER (WHERE payment_status = 'instructed')      AS payment_pending,
       count(*) FILTER (WHERE payment_status = 'settled')         AS settled,
       count(*) FILTER (WHERE payment_status = 'failed')          AS failed,
       coalesce(sum(amount_fen) FILTER (WHERE status = 'approved'), 0)::bigint         AS approved_fen,
       coalesce(sum(amount_fen) FILTER (WHERE payment_status = 'settled'), 0)::bigint  AS settled_fen
FROM cases WHERE campaign = $1 AND region = $2;
