-- name: record_entitlements
INSERT INTO entitlements (case_id, campaign, amount_fen, loan_id, period_end, event_id)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::uuid[], $5::date[], $6::uuid[])
ON CONFLICT (case_id) DO NOTHING;

-- name: record_settlements
INSERT INTO settlements (payment_id, case_id, campaign, amount_fen, event_id)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::uuid[])
ON CONFLICT (payment_id) DO NOTHING;

-- name: record_returns
UPDATE settlements SET returned = true WHERE payment_id = ANY($1::uuid[]);

-- name: record_budgets
INSERT INTO budgets AS b (campaign, total_fen) SELECT * FROM unnest($1::text[], $2::bigint[])
ON CONFLICT (campaign) DO UPDATE SET total_fen = greatest(b.total_fen, excluded.total_fen);

-- name: record_forfeits
INSERT INTO forfeits (loan_id, period_end, event_id) SELECT * FROM unnest($1::uuid[], $2::date[], $3::uuid[])
ON CONFLICT DO NOTHING;

-- name: record_registrations
INSERT INTO registrations (campaign, worker_ref) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING;

-- name: record_handouts
INSERT INTO handouts (handout_id, campaign, worker_ref, event_id)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[]) ON CONFLICT DO NOTHING;

-- name: record_over_issues
-- An over-issue may name a hand-out not seen yet (another partition): it is recorded as a placeholder
-- the hand-out itself then fills in.
INSERT INTO handouts AS h (handout_id, campaign, worker_ref, event_id, over_issue)
SELECT *, true FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[])
ON CONFLICT (handout_id) DO UPDATE SET over_issue = true;

-- name: sweep
-- Every invariant over the facts seen before $1 (the sweep's cutoff, a grace period ago: the streams are
-- read independently, so an approval may arrive after its payment), looking only at what was seen since
-- $2 and what that touches (-infinity: the whole history); each new finding once.
-- (`settled` and `seen_handouts` are inlined where used, so each use reads its own index.) A campaign's
-- paid total is campaign_paid's (kept by triggers) less what was seen after the cutoff.
WITH settled AS NOT MATERIALIZED (SELECT * FROM settlements WHERE NOT returned AND seen_at < $1),
new_settled AS (SELECT * FROM settled WHERE seen_at >= $2),
paid_since_cutoff AS (SELECT campaign, sum(amount_fen) AS fen FROM settlements WHERE NOT returned AND seen_at >= $1
                      GROUP BY campaign),
new_entitled AS (SELECT * FROM entitlements WHERE seen_at >= $2 AND seen_at < $1),
new_forfeits AS (SELECT * FROM forfeits WHERE seen_at >= $2 AND seen_at < $1),
seen_handouts AS NOT MATERIALIZED (SELECT * FROM handouts WHERE seen_at < $1),
new_handouts AS (SELECT * FROM seen_handouts WHERE seen_at >= $2),
found AS (
    SELECT 'payment_without_approval' AS kind, 'payment:' || s.payment_id AS subject, s.campaign,
           'payment ' || s.payment_id || ' of ' || s.amount_fen || ' fen settled for ' || s.case_id
           || ', which no approval or subsidy due names' AS detail, ARRAY[s.event_id] AS evidence
    FROM new_settled s WHERE NOT EXISTS (SELECT 1 FROM entitlements e WHERE e.case_id = s.case_id)
    UNION ALL
    SELECT 'paid_twice', 'case:' || s.case_id, min(s.campaign),
           'entitlement ' || s.case_id || ' paid ' || count(*) || ' times (' || sum(s.amount_fen) || ' fen)',
           array_agg(s.event_id)
    FROM settled s WHERE s.case_id IN (SELECT case_id FROM new_settled) GROUP BY s.case_id HAVING count(*) > 1
    UNION ALL
    SELECT 'amount_differs', 'payment:' || s.payment_id, s.campaign,
           'payment ' || s.payment_id || ' settled ' || s.amount_fen || ' fen, approved ' || e.amount_fen,
           ARRAY[s.event_id, e.event_id]
    FROM (SELECT * FROM new_settled UNION SELECT * FROM settled WHERE case_id IN (SELECT case_id FROM new_entitled)) s
    JOIN entitlements e USING (case_id) WHERE s.amount_fen <> e.amount_fen
    UNION ALL
    SELECT 'budget_overspent', 'campaign:' || b.campaign, b.campaign,
           'campaign ' || b.campaign || ' paid ' || p.fen || ' fen of a budget of ' || b.total_fen,
           ARRAY(SELECT s.event_id FROM settled s WHERE s.campaign = b.campaign LIMIT 50)
    FROM budgets b
    JOIN (SELECT t.campaign, t.paid_fen - coalesce(r.fen, 0) AS fen  -- paid before the cutoff
          FROM campaign_paid t LEFT JOIN paid_since_cutoff r USING (campaign)) p USING (campaign)
    WHERE b.campaign IN (SELECT campaign FROM new_settled) AND p.fen > b.total_fen
    UNION ALL
    SELECT 'subsidy_for_forfeited_period', 'case:' || e.case_id, e.campaign,
           'a subsidy due for loan ' || e.loan_id || ' period to ' || e.period_end || ', which was forfeited',
           ARRAY[e.event_id, f.event_id]
    FROM (SELECT * FROM new_entitled UNION SELECT e.* FROM entitlements e JOIN new_forfeits USING (loan_id, period_end)) e
    JOIN forfeits f USING (loan_id, period_end)
    UNION ALL
    SELECT 'kit_twice', 'worker:' || h.campaign || ':' || h.worker_ref, h.campaign,
           'a worker kept ' || count(*) || ' kits in ' || h.campaign || ' and no over-issue was reported',
           array_agg(h.event_id)
    FROM seen_handouts h WHERE NOT h.over_issue
      AND (h.campaign, h.worker_ref) IN (SELECT campaign, worker_ref FROM new_handouts)
    GROUP BY h.campaign, h.worker_ref HAVING count(*) > 1
    UNION ALL
    SELECT 'kit_without_registration', 'handout:' || h.handout_id, h.campaign,
           'a kit handed out in ' || h.campaign || ' to a worker with no registration', ARRAY[h.event_id]
    FROM new_handouts h
    WHERE NOT EXISTS (SELECT 1 FROM registrations r WHERE r.campaign = h.campaign AND r.worker_ref = h.worker_ref)
)
INSERT INTO findings (kind, subject, finding_id, campaign, detail, evidence)
SELECT kind, subject, gen_random_uuid(), campaign, detail, evidence FROM found
ON CONFLICT (kind, subject) DO NOTHING
RETURNING kind, subject, finding_id, campaign, detail, evidence;

-- name: findings
SELECT kind, subject, finding_id, campaign, detail, evidence, found_at FROM findings
WHERE $1::text IS NULL OR campaign = $1 ORDER BY found_at DESC LIMIT $2;
