-- name: insert_budget
INSERT INTO budgets (campaign, programme, region, total_fen, created_by) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (campaign) DO NOTHING RETURNING campaign;

-- name: insert_accounts
INSERT INTO accounts (account, campaign, kind) SELECT a, $1, k FROM unnest($2::text[], $3::text[]) AS t(a, k);

-- name: transfer_batch
SELECT ledger_transfer_batch($1::text[], $2::uuid[], $3::text[], $4::text[], $5::bigint[], $6);

-- name: budgets_of
SELECT campaign FROM budgets WHERE campaign = ANY($1::text[]);

-- name: budget_view
SELECT b.campaign, b.programme, b.region, b.total_fen,
       coalesce(sum(a.balance_fen) FILTER (WHERE a.kind = 'available'), 0)::bigint AS available_fen,
       coalesce(sum(a.balance_fen) FILTER (WHERE a.kind IN ('reserved', 'cleared')), 0)::bigint AS reserved_fen,
       coalesce(sum(a.balance_fen) FILTER (WHERE a.kind = 'paid'), 0)::bigint      AS paid_fen,
       coalesce(sum(a.balance_fen) FILTER (WHERE a.kind = 'funding'), 0)::bigint   AS funding_fen
FROM budgets b JOIN accounts a ON a.campaign = b.campaign
WHERE b.campaign = $1
GROUP BY b.campaign;

-- name: payment_counts
SELECT status, count(*) AS payments, coalesce(sum(amount_fen), 0)::bigint AS amount_fen
FROM payments WHERE campaign = $1 GROUP BY status;

-- name: insert_payments
-- One payment per case: a case that has its payment already is skipped (not returned).
INSERT INTO payments (payment_id, case_id, campaign, amount_fen, payee_name_enc, payee_account_enc,
                      payee_account_masked, status)
SELECT p.payment_id, p.case_id, p.campaign, p.amount_fen, p.name_enc, p.account_enc, p.masked, 'instructed'
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::bytea[], $6::bytea[], $7::text[])
     WITH ORDINALITY AS p(payment_id, case_id, campaign, amount_fen, name_enc, account_enc, masked, n)
ORDER BY p.n
ON CONFLICT DO NOTHING
RETURNING payment_id;

-- name: fail_payments
-- Only an instructed payment can fail, once; returns those that did. `payment_id = ANY` here and in the
-- updates below lets the planner find the batch's rows by key whatever its statistics say: joined on the
-- batch alone, it hashed every instructed payment (the partial index payments_to_batch), more work for
-- every payment waiting, 67 ms a batch of 1,000 in a 100,000-recipient campaign.
UPDATE payments p SET status = 'failed', failure_stage = $2, failure_reason = f.reason, batch_id = $4,
                      updated_at = now()
FROM unnest($1::uuid[], $3::text[]) AS f(payment_id, reason)
WHERE p.payment_id = ANY($1::uuid[]) AND p.payment_id = f.payment_id AND p.status = 'instructed'
RETURNING p.payment_id, p.case_id, p.campaign, p.amount_fen;

-- name: settle_payments
-- Only an instructed payment can settle, once; returns those that did.
UPDATE payments p SET status = 'settled', bank_reference = s.reference, settled_at = $3, batch_id = $4,
                      updated_at = now()
FROM unnest($1::uuid[], $2::text[]) AS s(payment_id, reference)
WHERE p.payment_id = ANY($1::uuid[]) AND p.payment_id = s.payment_id AND p.status = 'instructed'
RETURNING p.payment_id, p.case_id, p.campaign, p.amount_fen;

-- name: due_batch
-- A batch made earlier whose answer we still need (a time-out, a crash): the same message again.
SELECT * FROM payment_batches WHERE status = 'open' AND next_attempt_at <= now() AND batch_id <> ALL($1::uuid[])
ORDER BY next_attempt_at LIMIT 1;

-- name: lock_batching
-- One batch is made at a time, whatever happens to the dispatcher's leadership: the next one's pick, a
-- statement after this lock, sees the lines of the one made before it.
SELECT pg_advisory_xact_lock(hashtext('siji-disbursement:make-batch'));

-- name: payments_to_batch
-- Instructed payments in no open batch, oldest first.
SELECT payment_id, amount_fen FROM payments
WHERE status = 'instructed'
  AND payment_id NOT IN (SELECT unnest(payment_ids) FROM payment_batches WHERE status = 'open')
ORDER BY created_at, payment_id LIMIT $1;

-- name: insert_batch
INSERT INTO payment_batches (batch_id, message_id, payments, control_sum_fen, payment_ids)
VALUES ($1, $2, cardinality($3::uuid[]), $4, $3::uuid[])
RETURNING *;

-- name: batch_lines
SELECT p.payment_id, p.amount_fen, p.payee_name_enc, p.payee_account_enc
FROM payment_batches b CROSS JOIN unnest(b.payment_ids) AS l(payment_id) JOIN payments p USING (payment_id)
WHERE b.batch_id = $1 ORDER BY p.payment_id;

-- name: postpone_batch
UPDATE payment_batches SET attempts = attempts + 1, next_attempt_at = now() + $2::interval WHERE batch_id = $1;

-- name: close_batch
-- Lines the bank's report left out are in no open batch now: they go into a later one (the bank executes
-- each line id once).
UPDATE payment_batches SET status = 'reported', group_status = $2, reported_at = now() WHERE batch_id = $1;

-- name: payments_of_campaign
-- A payment's batch: the one that carried its answer, or the open one it is in.
SELECT p.payment_id, p.case_id, p.amount_fen, p.status, p.failure_stage, p.failure_reason, p.bank_reference,
       p.settled_at, p.payee_account_masked, coalesce(p.batch_id, b.batch_id) AS batch_id
FROM payments p
LEFT JOIN (SELECT batch_id, unnest(payment_ids) AS payment_id FROM payment_batches WHERE status = 'open') b
       USING (payment_id)
WHERE p.campaign = $1 ORDER BY p.created_at;

-- name: lock_available
-- The campaigns' available money, row-locked (in account order, as the ledger locks) while a batch is
-- reserved in approval order.
SELECT campaign, balance_fen FROM accounts WHERE kind = 'available' AND campaign = ANY($1::text[])
ORDER BY account FOR UPDATE;

-- name: queue_lengths
SELECT campaign, count(*) AS waiting FROM payments WHERE status = 'waiting' AND campaign = ANY($1::text[])
GROUP BY campaign;

-- name: mark_waiting
UPDATE payments SET status = 'waiting', updated_at = now() WHERE payment_id = ANY($1::uuid[]) AND status = 'instructed';

-- name: waiting_payments
-- A campaign's queue, in approval order, locked while it is paid.
SELECT payment_id, case_id, campaign, amount_fen, payee_account_masked FROM payments
WHERE campaign = $1 AND status = 'waiting' ORDER BY queue_seq FOR UPDATE;

-- name: mark_instructed
UPDATE payments SET status = 'instructed', updated_at = now() WHERE payment_id = ANY($1::uuid[]) AND status = 'waiting';

-- name: add_to_budget
UPDATE budgets SET total_fen = total_fen + $2 WHERE campaign = $1 RETURNING total_fen;

-- name: waiting_of_campaign
SELECT payment_id, case_id, amount_fen, queue_seq FROM payments WHERE campaign = $1 AND status = 'waiting'
ORDER BY queue_seq;

-- name: return_payments
-- Only a settled payment can be returned, once; returns those that were.
UPDATE payments p SET status = 'returned', return_reason = r.reason, updated_at = now()
FROM unnest($1::uuid[], $2::text[]) AS r(payment_id, reason)
WHERE p.payment_id = ANY($1::uuid[]) AND p.payment_id = r.payment_id AND p.status = 'settled'
RETURNING p.payment_id, p.case_id, p.campaign, p.amount_fen;

-- name: returned_payments_of
-- The cases' returned payments that are not paid again yet, locked while they are.
SELECT p.payment_id, p.case_id, p.campaign, p.amount_fen FROM payments p
WHERE p.payment_id = ANY($1::uuid[]) AND p.status = 'returned'
  AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.reissue_of = p.payment_id)
FOR UPDATE;

-- name: insert_reissues
INSERT INTO payments (payment_id, case_id, campaign, amount_fen, payee_name_enc, payee_account_enc,
                      payee_account_masked, status, reissue_of)
SELECT p.payment_id, p.case_id, p.campaign, p.amount_fen, p.name_enc, p.account_enc, p.masked, 'instructed', p.reissue_of
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::bytea[], $6::bytea[], $7::text[], $8::uuid[])
     WITH ORDINALITY AS p(payment_id, case_id, campaign, amount_fen, name_enc, account_enc, masked, reissue_of, n)
ORDER BY p.n
ON CONFLICT DO NOTHING
RETURNING payment_id;
