-- name: insert_policy
INSERT INTO policies (policy_id, version, region, year, document, content_sha256, source, loaded_by)
VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)
ON CONFLICT (policy_id, version) DO NOTHING
RETURNING policy_id;

-- name: policy_sha
SELECT content_sha256 FROM policies WHERE policy_id = $1 AND version = $2;

-- name: count_policies
SELECT count(*) FROM policies;

-- name: lock_policies
LOCK TABLE policies IN SHARE ROW EXCLUSIVE MODE;

-- name: all_policies
SELECT policy_id, version, region, year, document, content_sha256, source, loaded_by, loaded_at
FROM policies ORDER BY policy_id, version;

-- name: loan_campaigns
-- The campaigns whose payments may be subsidies: those with loans (every budget has a fund here).
SELECT f.campaign FROM funds f WHERE EXISTS (SELECT FROM loans l WHERE l.campaign = f.campaign);

-- name: ensure_funds
INSERT INTO funds (campaign) SELECT unnest($1::text[]) ON CONFLICT (campaign) DO NOTHING;

-- name: insert_loans
INSERT INTO loans (loan_id, campaign, programme, region, year, borrower_kind, borrower_ref, name_enc, account_enc,
                   principal_fen, term_months, method, staff_count, new_hires, approved_by)
SELECT l.loan_id, l.campaign, l.programme, l.region, l.year, l.borrower_kind, l.borrower_ref, l.name_enc,
       l.account_enc, l.principal_fen, l.term_months, l.method, l.staff_count, l.new_hires,
       ARRAY(SELECT jsonb_array_elements_text(l.approved_by))
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::bytea[],
            $9::bytea[], $10::bigint[], $11::int[], $12::text[], $13::int[], $14::int[], $15::jsonb[])
     AS l(loan_id, campaign, programme, region, year, borrower_kind, borrower_ref, name_enc, account_enc,
          principal_fen, term_months, method, staff_count, new_hires, approved_by)
ON CONFLICT (loan_id) DO NOTHING
RETURNING loan_id;

-- name: loans_to_forward
SELECT loan_id, borrower_ref, name_enc, account_enc, principal_fen, term_months, method
FROM loans WHERE status = 'approved' AND bank_loan_id IS NULL ORDER BY approved_at, loan_id LIMIT $1;

-- name: set_bank_loan_ids
UPDATE loans l SET bank_loan_id = x.bank_loan_id, updated_at = now()
FROM unnest($1::uuid[], $2::text[]) AS x(loan_id, bank_loan_id)
WHERE l.loan_id = ANY($1::uuid[]) AND l.loan_id = x.loan_id AND l.bank_loan_id IS NULL;

-- name: lock_loans
SELECT * FROM loans WHERE loan_id = ANY($1::uuid[]) ORDER BY loan_id FOR UPDATE;

-- name: lock_funds
-- After the loans, always (one lock order: no deadlock between the bank feed and the consumers).
SELECT f.campaign, f.total_fen, f.reserved_fen, f.spent_fen,
       (SELECT count(*) FROM loans l WHERE l.campaign = f.campaign AND l.status = 'waiting') AS waiting
FROM funds f WHERE f.campaign = ANY($1::text[]) ORDER BY f.campaign FOR UPDATE;

-- name: periods_of
SELECT * FROM periods WHERE loan_id = ANY($1::uuid[]);

-- name: waiting_loans
SELECT loan_id FROM loans WHERE campaign = ANY($1::text[]) AND status = 'waiting' ORDER BY campaign, waiting_seq;

-- name: save_loans
UPDATE loans l SET status = x.status, bank_loan_id = x.bank_loan_id, annual_rate_bp = x.annual_rate_bp,
       start_date = x.start_date, term_months = x.term_months, method = x.method, policy_id = x.policy_id,
       policy_version = x.policy_version, projected_fen = x.projected_fen, reserved_fen = x.reserved_fen,
       spent_fen = x.spent_fen, waiting_seq = x.waiting_seq, stopped_on = x.stopped_on,
       clawback_fen = x.clawback_fen, reason = x.reason, updated_at = now()
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::date[], $6::int[], $7::text[], $8::text[], $9::int[],
            $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::date[], $15::bigint[], $16::text[])
     AS x(loan_id, status, bank_loan_id, annual_rate_bp, start_date, term_months, method, policy_id,
          policy_version, projected_fen, reserved_fen, spent_fen, waiting_seq, stopped_on, clawback_fen, reason)
WHERE l.loan_id = x.loan_id;

-- name: save_periods
INSERT INTO periods AS p (loan_id, period_end, period_start, projected_fen, interest_fen, penalty_fen,
                          outstanding_fen, bank_status, paid_on_time, subsidy_fen, status, entitlement_id,
                          payment_id, reported_seq, shortfall_fen)
SELECT * FROM unnest($1::uuid[], $2::date[], $3::date[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[],
                     $8::text[], $9::boolean[], $10::bigint[], $11::text[], $12::uuid[], $13::uuid[], $14::bigint[],
                     $15::bigint[])
ON CONFLICT (loan_id, period_end) DO UPDATE SET
    period_start = excluded.period_start, projected_fen = excluded.projected_fen,
    interest_fen = excluded.interest_fen, penalty_fen = excluded.penalty_fen,
    outstanding_fen = excluded.outstanding_fen, bank_status = excluded.bank_status,
    paid_on_time = excluded.paid_on_time, subsidy_fen = excluded.subsidy_fen, status = excluded.status,
    entitlement_id = excluded.entitlement_id, payment_id = excluded.payment_id, reported_seq = excluded.reported_seq,
    shortfall_fen = excluded.shortfall_fen;

-- name: save_funds
UPDATE funds f SET total_fen = x.total_fen, reserved_fen = x.reserved_fen, spent_fen = x.spent_fen
FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[]) AS x(campaign, total_fen, reserved_fen, spent_fen)
WHERE f.campaign = x.campaign;

-- name: insert_bank_events
-- Each of the bank's events once, by its sequence number: the new ones come back, to be applied.
INSERT INTO bank_events (seq, event_type, bank_loan_id, loan_id, business_date, body)
SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::uuid[], $5::date[], $6::jsonb[])
ON CONFLICT (seq) DO NOTHING
RETURNING seq;

-- name: last_bank_seq
SELECT coalesce(max(seq), 0) FROM bank_events;

-- name: loans_of_bank_ids
SELECT bank_loan_id, loan_id FROM loans WHERE bank_loan_id = ANY($1::text[]);

-- name: periods_paid_by
SELECT loan_id FROM periods WHERE entitlement_id = ANY($1::uuid[]);

-- name: fund
SELECT f.campaign, f.total_fen, f.reserved_fen, f.spent_fen, f.total_fen - f.reserved_fen - f.spent_fen AS available_fen,
       (SELECT coalesce(sum(p.subsidy_fen), 0) FROM periods p JOIN loans l USING (loan_id)
        WHERE l.campaign = f.campaign AND p.status = 'paid') AS paid_fen,
       (SELECT coalesce(sum(p.subsidy_fen), 0) FROM periods p JOIN loans l USING (loan_id)
        WHERE l.campaign = f.campaign AND p.status = 'due') AS due_fen,
       (SELECT coalesce(sum(p.shortfall_fen), 0) FROM periods p JOIN loans l USING (loan_id)
        WHERE l.campaign = f.campaign) AS shortfall_fen,
       (SELECT count(*) FROM loans l WHERE l.campaign = f.campaign AND l.status = 'waiting') AS waiting_loans,
       (SELECT coalesce(sum(l.projected_fen), 0) FROM loans l
        WHERE l.campaign = f.campaign AND l.status = 'waiting') AS waiting_fen
FROM funds f WHERE f.campaign = $1;

-- name: fund_queue
SELECT loan_id, borrower_ref, principal_fen, projected_fen, waiting_seq,
       row_number() OVER (ORDER BY waiting_seq) AS position
FROM loans WHERE campaign = $1 AND status = 'waiting' ORDER BY waiting_seq LIMIT $2;

-- name: loan
SELECT loan_id, campaign, programme, region, year, borrower_kind, borrower_ref, principal_fen, term_months, method,
       staff_count, new_hires, approved_by, status, bank_loan_id, annual_rate_bp, start_date, policy_id,
       policy_version, projected_fen, reserved_fen, spent_fen, stopped_on, clawback_fen, reason
FROM loans WHERE loan_id = $1;

-- name: loan_periods
SELECT period_start, period_end, projected_fen, interest_fen, penalty_fen, outstanding_fen, bank_status, paid_on_time,
       subsidy_fen, shortfall_fen, status, payment_id
FROM periods WHERE loan_id = $1 ORDER BY period_end;

-- name: report_regions
SELECT l.region, l.campaign, count(*) AS loans,
       count(*) FILTER (WHERE l.status NOT IN ('approved', 'declined')) AS disbursed,
       count(*) FILTER (WHERE l.status = 'declined') AS declined,
       count(*) FILTER (WHERE l.status = 'waiting') AS waiting,
       count(*) FILTER (WHERE l.status = 'active') AS active,
       coalesce(sum(l.principal_fen) FILTER (WHERE l.status NOT IN ('approved', 'declined')), 0) AS principal_fen,
       coalesce(sum(l.new_hires) FILTER (WHERE l.status NOT IN ('approved', 'declined')), 0) AS jobs_created,
       coalesce(sum(paid.fen), 0) AS subsidy_paid_fen,
       coalesce(sum(l.spent_fen), 0) - coalesce(sum(paid.fen), 0) AS subsidy_due_fen,
       coalesce(sum(l.reserved_fen), 0) AS reserved_fen,
       coalesce(sum(l.clawback_fen), 0) AS clawback_fen,
       coalesce(sum(paid.shortfall), 0) AS subsidy_shortfall_fen,
       count(*) FILTER (WHERE l.status = 'repaid_early') AS repaid_early,
       count(*) FILTER (WHERE l.status = 'defaulted') AS defaulted,
       min(f.total_fen) AS fund_total_fen,
       min(f.total_fen - f.reserved_fen - f.spent_fen) AS fund_left_fen
FROM loans l JOIN funds f USING (campaign)
LEFT JOIN LATERAL (SELECT sum(p.subsidy_fen) FILTER (WHERE p.status = 'paid') AS fen,
                          sum(p.shortfall_fen) AS shortfall FROM periods p
                   WHERE p.loan_id = l.loan_id) paid ON true
WHERE ($1::text IS NULL OR l.region = $1)
GROUP BY l.region, l.campaign ORDER BY l.region, l.campaign;

-- name: report_enterprises
SELECT l.borrower_ref, l.borrower_kind, l.region, l.campaign, count(*) AS loans,
       sum(l.principal_fen) AS principal_fen, sum(l.new_hires) AS jobs_created,
       coalesce(sum(paid.fen), 0) AS subsidy_paid_fen, sum(l.reserved_fen) AS reserved_fen,
       array_agg(DISTINCT l.status) AS statuses
FROM loans l
LEFT JOIN LATERAL (SELECT sum(p.subsidy_fen) AS fen FROM periods p
                   WHERE p.loan_id = l.loan_id AND p.status = 'paid') paid ON true
WHERE l.region = $1 AND l.status NOT IN ('approved', 'declined')
GROUP BY l.borrower_ref, l.borrower_kind, l.region, l.campaign
ORDER BY subsidy_paid_fen DESC, l.borrower_ref LIMIT $2 OFFSET $3;

-- name: period_counts
SELECT p.status, count(*) AS periods, coalesce(sum(p.subsidy_fen), 0) AS subsidy_fen
FROM periods p JOIN loans l USING (loan_id)
WHERE $1::text IS NULL OR l.campaign = $1
GROUP BY p.status ORDER BY p.status;
