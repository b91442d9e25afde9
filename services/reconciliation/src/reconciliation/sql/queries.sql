-- name: upsert_payments
-- What disbursement reported, latest state per payment; a status only moves forward. Counted in
-- payment_changes (the change mark), in the same statement.
WITH changed AS (
    INSERT INTO payments AS p (payment_id, end_to_end_id, campaign, amount_fen, status, bank_reference,
                               failure_stage, settled_seen, reissue_of)
    SELECT x.payment_id, replace(x.payment_id::text, '-', ''), x.campaign, x.amount_fen, x.status, x.bank_reference,
           x.failure_stage, CASE WHEN x.status = 'settled' THEN now() END, x.reissue_of
    FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::uuid[])
         AS x(payment_id, campaign, amount_fen, status, bank_reference, failure_stage, reissue_of)
    ON CONFLICT (payment_id) DO UPDATE
    SET status = EXCLUDED.status, bank_reference = coalesce(EXCLUDED.bank_reference, p.bank_reference),
        failure_stage = coalesce(EXCLUDED.failure_stage, p.failure_stage), reissue_of = coalesce(p.reissue_of, EXCLUDED.reissue_of),
        settled_seen = coalesce(p.settled_seen, EXCLUDED.settled_seen), updated_at = now()
    WHERE p.status = 'instructed'
    RETURNING 1)
UPDATE payment_changes SET changes = changes + (SELECT count(*) FROM changed) WHERE EXISTS (SELECT FROM changed);

-- name: insert_statement
-- A statement is taken once per business day; the same one again inserts nothing.
INSERT INTO statements (business_date, sequence_number, message_id, account, opening_fen, closing_fen, movement_fen,
                        entries, source, document, notification)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT DO NOTHING
RETURNING business_date;

-- name: statement_day
SELECT max(business_date) FROM statements WHERE $1::date IS NULL OR business_date = $1;

-- name: insert_entries
INSERT INTO statement_entries (bank_reference, business_date, end_to_end_id, amount_fen, credit, return_reason_code)
SELECT * FROM unnest($1::text[], $2::date[], $3::text[], $4::bigint[], $5::bool[], $6::text[])
ON CONFLICT DO NOTHING;

-- name: statement_days
SELECT business_date FROM statements ORDER BY business_date;

-- name: change_mark
SELECT (SELECT changes FROM payment_changes) AS payments, (SELECT count(*) FROM statements) AS statements;

-- name: classify
-- Every item's classification as the payments and statements stand now. New items and changed ones
-- are written and returned with the classification they had before. An item of a closed day that
-- changes moves to the latest statement's day: a closed day is never reopened.
WITH latest AS (SELECT max(business_date) AS day FROM statements),
before AS (SELECT item_id, classification FROM items),
debits AS (
    SELECT end_to_end_id, min(business_date) AS first_day, min(amount_fen) AS low, max(amount_fen) AS high
    FROM statement_entries WHERE NOT credit GROUP BY end_to_end_id
),
returns AS (
    SELECT end_to_end_id, min(business_date) AS day, min(return_reason_code) AS code
    FROM statement_entries WHERE credit GROUP BY end_to_end_id
),
ranked AS (
    SELECT e.*, row_number() OVER (PARTITION BY e.end_to_end_id, e.credit ORDER BY e.business_date, e.bank_reference) AS n
    FROM statement_entries e
),
payment_items AS (
    SELECT 'payment:' || p.payment_id AS item_id, coalesce(r.day, d.first_day, (SELECT day FROM latest)) AS business_date,
           CASE WHEN r.end_to_end_id IS NOT NULL AND d.end_to_end_id IS NOT NULL THEN 'RETURNED'
                WHEN d.end_to_end_id IS NOT NULL AND (d.low <> p.amount_fen OR d.high <> p.amount_fen) THEN 'AMOUNT_MISMATCH'
                WHEN d.end_to_end_id IS NOT NULL THEN 'MATCHED'
                WHEN (SELECT count(*) FROM statements s WHERE s.received_at >= p.settled_seen) > $1 THEN 'MISSING_AT_BANK'
                ELSE 'IN_TRANSIT' END AS classification,
           p.payment_id, p.end_to_end_id, p.amount_fen,
           CASE WHEN r.end_to_end_id IS NOT NULL AND d.end_to_end_id IS NOT NULL THEN 'returned by the bank: ' || r.code
                  || CASE WHEN again.payment_id IS NOT NULL THEN '; paid again as ' || again.payment_id ELSE '' END
                WHEN d.end_to_end_id IS NOT NULL AND (d.low <> p.amount_fen OR d.high <> p.amount_fen)
                    THEN 'booked ' || d.low || ' fen, instructed ' || p.amount_fen
                ELSE '' END AS detail,
           again.payment_id IS NOT NULL AS reissued
    FROM payments p LEFT JOIN debits d USING (end_to_end_id) LEFT JOIN returns r USING (end_to_end_id)
    LEFT JOIN payments again ON again.reissue_of = p.payment_id
    WHERE p.status = 'settled'
),
entry_items AS (
    SELECT 'entry:' || e.bank_reference AS item_id, e.business_date,
           CASE WHEN e.credit AND d.end_to_end_id IS NULL THEN 'INVALID_REVERSAL'
                WHEN e.credit THEN 'RETURNED'
                WHEN p.payment_id IS NULL OR p.status <> 'settled' THEN 'UNKNOWN_BANK_ENTRY'
                WHEN e.n > 1 THEN 'DUPLICATE_AT_BANK'
                WHEN e.amount_fen <> p.amount_fen THEN 'AMOUNT_MISMATCH'
                ELSE 'MATCHED' END AS classification,
           p.payment_id, e.end_to_end_id, e.amount_fen,
           CASE WHEN e.credit AND d.end_to_end_id IS NULL THEN 'a return of a payment the bank never booked'
                WHEN e.credit THEN 'return reason ' || e.return_reason_code
                WHEN e.end_to_end_id = '' THEN 'a lump debit for a whole batch without its camt.054 lines'
                WHEN p.payment_id IS NULL THEN 'no payment of ours has this end-to-end id'
                WHEN p.status <> 'settled' THEN 'booked although the payment is ' || p.status
                WHEN e.n > 1 THEN 'booked a second time'
                ELSE '' END AS detail,
           EXISTS (SELECT 1 FROM payments again WHERE again.reissue_of = p.payment_id) AS reissued
    FROM ranked e LEFT JOIN payments p USING (end_to_end_id) LEFT JOIN debits d USING (end_to_end_id)
),
statement_items AS (
    SELECT 'statement:' || s.business_date AS item_id, s.business_date,
           CASE WHEN s.opening_fen + coalesce(m.movement, 0) <> s.closing_fen
                  OR s.opening_fen <> coalesce(lag(s.closing_fen) OVER w, s.opening_fen) THEN 'STATEMENT_BALANCE_ERROR'
                WHEN s.sequence_number - coalesce(lag(s.sequence_number) OVER w, s.sequence_number - 1) > 1
                    THEN 'STATEMENT_GAP'
                ELSE 'MATCHED' END AS classification,
           NULL::uuid AS payment_id, NULL::text AS end_to_end_id, abs(coalesce(m.movement, 0)) AS amount_fen,
           'opening ' || s.opening_fen || ' + entries ' || coalesce(m.movement, 0) || ', closing ' || s.closing_fen
             || ', sequence ' || s.sequence_number AS detail,
           false AS reissued
    FROM statements s
    LEFT JOIN (SELECT business_date, sum(CASE WHEN credit THEN amount_fen ELSE -amount_fen END) AS movement
               FROM statement_entries GROUP BY business_date) m USING (business_date)
    WINDOW w AS (ORDER BY s.business_date)
),
everything AS (
    SELECT * FROM payment_items UNION ALL SELECT * FROM entry_items UNION ALL SELECT * FROM statement_items
),
written AS (
    INSERT INTO items AS i (item_id, business_date, classification, payment_id, end_to_end_id, amount_fen, detail,
                            explained)
    SELECT item_id, business_date, classification, payment_id, end_to_end_id, amount_fen, detail,
           classification IN ('MATCHED', 'IN_TRANSIT', 'DUPLICATE_AT_BANK') OR (classification = 'RETURNED' AND reissued)
    FROM everything WHERE business_date IS NOT NULL
    ON CONFLICT (item_id) DO UPDATE
    SET classification = EXCLUDED.classification, detail = EXCLUDED.detail, amount_fen = EXCLUDED.amount_fen,
        payment_id = EXCLUDED.payment_id, explained = EXCLUDED.explained, updated_at = now(),
        business_date = CASE WHEN EXISTS (SELECT 1 FROM days WHERE days.business_date = i.business_date)
                             THEN (SELECT day FROM latest) ELSE EXCLUDED.business_date END
    WHERE i.classification IS DISTINCT FROM EXCLUDED.classification OR i.explained <> EXCLUDED.explained
    RETURNING i.item_id, i.business_date, i.classification, i.payment_id, i.end_to_end_id, i.amount_fen, i.detail,
              i.explained
)
SELECT w.*, b.classification AS previous FROM written w LEFT JOIN before b USING (item_id);

-- name: days_to_close
-- Statement days not closed yet whose items are all matched or explained.
SELECT s.business_date FROM statements s
WHERE NOT EXISTS (SELECT 1 FROM days d WHERE d.business_date = s.business_date)
  AND NOT EXISTS (SELECT 1 FROM items i WHERE i.business_date = s.business_date AND NOT i.explained)
ORDER BY s.business_date;

-- name: close_day
INSERT INTO days (business_date, closed_by, open_items, reason) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING RETURNING business_date;

-- name: day_closed
SELECT business_date, closed_by, open_items, reason, closed_at FROM days WHERE business_date = $1;

-- name: day_totals
SELECT classification, count(*) AS items, coalesce(sum(amount_fen), 0)::bigint AS amount_fen,
       count(*) FILTER (WHERE NOT explained) AS open
FROM items WHERE business_date = $1 GROUP BY classification ORDER BY classification;

-- name: open_items
SELECT item_id, classification, payment_id, end_to_end_id, amount_fen, detail FROM items
WHERE business_date = $1 AND NOT explained
ORDER BY classification, item_id LIMIT $2;

-- name: day_items
SELECT item_id, classification, payment_id, end_to_end_id, amount_fen, detail, updated_at FROM items
WHERE business_date = $1 ORDER BY classification, item_id;

-- name: recovery_items
-- Money the bank booked twice: finance claims it back; the ledger does not change.
SELECT item_id, end_to_end_id, payment_id, amount_fen, detail FROM items
WHERE business_date = $1 AND classification = 'DUPLICATE_AT_BANK' ORDER BY item_id;
