-- name: insert_budget
INSERT INTO budgets (campaign, programme, region, total_fen, created_by) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (campaign) DO NOTHING RETURNING campaign;

-- name: insert_accounts
INSERT INTO accounts (account, campaign, kind) SELECT a, $1, k FROM unnest($2::text[], $3::text[]) AS t(a, k);

-- name: transfer
SELECT ledger_transfer($1, $2, $3, $4, $5, $6);

-- name: budget_view
SELECT b.campaign, b.programme, b.region, b.total_fen,
       coalesce(sum(a.balance_fen) FILTER (WHERE a.kind = 'available'), 0)::bigint AS available_fen,
       coalesce(sum(a.balance_fen) FILTER (WHERE a.kind = 'reserved'), 0)::bigint  AS reserved_fen,
       coalesce(sum(a.balance_fen) FILTER (WHERE a.kind = 'paid'), 0)::bigint      AS paid_fen,
       coalesce(sum(a.balance_fen) FILTER (WHERE a.kind = 'funding'), 0)::bigint   AS funding_fen
FROM budgets b JOIN accounts a ON a.campaign = b.campaign
WHERE b.campaign = $1
GROUP BY b.campaign;

-- name: payment_counts
SELECT status, count(*) AS payments, coalesce(sum(amount_fen), 0)::bigint AS amount_fen
FROM payments WHERE campaign = $1 GROUP BY status;

-- name: insert_payment
INSERT INTO payments (payment_id, case_id, campaign, amount_fen, payee_name_enc, payee_account_enc,
                      payee_account_masked, status)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'instructed')
ON CONFLICT (case_id) DO NOTHING RETURNING payment_id;

-- name: fail_payment
UPDATE payments SET status = 'failed', failure_stage = $2, failure_reason = $3, updated_at = now()
WHERE payment_id = $1 AND status = 'instructed'
RETURNING payment_id, case_id, campaign, amount_fen;

-- name: settle_payment
UPDATE payments SET status = 'settled', bank_reference = $2, settled_at = $3, updated_at = now()
WHERE payment_id = $1 AND status = 'instructed'
RETURNING payment_id, case_id, campaign, amount_fen;

-- name: postpone_payment
UPDATE payments SET attempts = attempts + 1, next_attempt_at = now() + $2::interval, updated_at = now()
WHERE payment_id = $1 AND status = 'instructed';

-- name: due_payments
SELECT payment_id, amount_fen, payee_name_enc, payee_account_enc, attempts FROM payments
WHERE status = 'instructed' AND next_attempt_at <= now()
ORDER BY next_attempt_at LIMIT $1;

-- name: payments_of_campaign
SELECT payment_id, case_id, amount_fen, status, failure_stage, failure_reason, bank_reference, settled_at,
       payee_account_masked, attempts
FROM payments WHERE campaign = $1 ORDER BY created_at;
