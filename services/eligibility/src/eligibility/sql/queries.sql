-- name: latest_rule_set
SELECT rule_set_id, version, rules FROM rule_sets
WHERE kind = $1 AND programme = $2 AND region = $3 AND year = $4
ORDER BY version DESC LIMIT 1;

-- name: rule_set_version
SELECT rule_set_id, version, kind, programme, region, year, rules, content_sha256, source, loaded_by, published_at
FROM rule_sets WHERE rule_set_id = $1 AND version = $2;

-- name: insert_rule_set
-- A version is loaded once; loading it again inserts nothing (the caller compares the content hash).
INSERT INTO rule_sets (rule_set_id, version, kind, programme, region, year, rules, content_sha256, source, loaded_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (rule_set_id, version) DO NOTHING
RETURNING rule_set_id;

-- name: rule_set_kinds
SELECT DISTINCT rule_set_id, kind FROM rule_sets WHERE rule_set_id = ANY($1::text[]);

-- name: list_rule_sets
SELECT rule_set_id, version, kind, programme, region, year, content_sha256, source, loaded_by, published_at
FROM rule_sets
WHERE ($1::text IS NULL OR programme = $1) AND ($2::text IS NULL OR region = $2) AND ($3::int IS NULL OR year = $3)
ORDER BY rule_set_id, version;

-- name: lock_rule_sets
LOCK TABLE rule_sets IN SHARE ROW EXCLUSIVE MODE;

-- name: count_rule_sets
SELECT count(*) FROM rule_sets;

-- name: upsert_members
INSERT INTO members (member_ref, region, national_id_enc, name_enc, union_name, occupation, model_worker,
                     hardship_cadre, household_ref, updated_by)
SELECT m.member_ref, $1, m.national_id_enc, m.name_enc, m.union_name, m.occupation, m.model_worker,
       m.hardship_cadre, m.household_ref, $2
FROM unnest($3::text[], $4::bytea[], $5::bytea[], $6::text[], $7::text[], $8::bool[], $9::bool[], $10::text[])
     AS m(member_ref, national_id_enc, name_enc, union_name, occupation, model_worker, hardship_cadre, household_ref)
ON CONFLICT (member_ref) DO UPDATE
SET region = EXCLUDED.region, name_enc = EXCLUDED.name_enc, union_name = EXCLUDED.union_name,
    occupation = EXCLUDED.occupation, model_worker = EXCLUDED.model_worker,
    hardship_cadre = EXCLUDED.hardship_cadre, household_ref = EXCLUDED.household_ref,
    updated_by = EXCLUDED.updated_by, updated_at = now();

-- name: members_of
SELECT member_ref, occupation, model_worker, hardship_cadre, household_ref FROM members
WHERE member_ref = ANY($1::text[]);

-- name: upsert_hardship_files
-- One statement for a whole roster chunk; a member's file in a region is opened once, and reviewed
-- (re-graded, its period renewed) after. Returns each file's level before (NULL: opened now) and after.
WITH before AS (
    SELECT member_ref, level FROM hardship_files WHERE region = $1 AND member_ref = ANY($4::text[])
), upserted AS (
    INSERT INTO hardship_files AS h (file_id, member_ref, region, level, national_id_enc, name_enc, valid_until,
                                     opened_by, household_ref, household_size, income_fen_per_month, causes, grading,
                                     standards_id, standards_version)
    SELECT f.file_id, f.member_ref, $1, f.level, f.national_id_enc, f.name_enc, f.valid_until, $2, f.household_ref,
           f.household_size, f.income, string_to_array(f.causes, ','), f.grading, $14, $15
    FROM unnest($3::uuid[], $4::text[], $5::text[], $6::bytea[], $7::bytea[], $8::date[], $9::text[], $10::int[],
                $11::bigint[], $12::text[], $13::jsonb[])
         AS f(file_id, member_ref, level, national_id_enc, name_enc, valid_until, household_ref, household_size, income,
              causes, grading)
    ON CONFLICT (member_ref, region) DO UPDATE
    SET level = EXCLUDED.level, valid_until = EXCLUDED.valid_until, name_enc = EXCLUDED.name_enc,
        household_ref = EXCLUDED.household_ref, household_size = EXCLUDED.household_size,
        income_fen_per_month = EXCLUDED.income_fen_per_month, causes = EXCLUDED.causes, grading = EXCLUDED.grading,
        standards_id = EXCLUDED.standards_id, standards_version = EXCLUDED.standards_version,
        status = 'active', expired_at = NULL, reviewed_at = now()
    RETURNING h.file_id, h.member_ref, h.level
)
SELECT u.file_id, u.member_ref, u.level, b.level AS level_before FROM upserted u LEFT JOIN before b USING (member_ref);

-- name: hardship_files
SELECT member_ref, level, valid_until, status, household_ref FROM hardship_files
WHERE region = $1 AND member_ref = ANY($2::text[]);

-- name: expire_hardship_files
-- Files past their period stop new eligibility; a bounded batch per round, skipping rows in use.
UPDATE hardship_files h SET status = 'expired', expired_at = now()
WHERE h.file_id IN (SELECT file_id FROM hardship_files WHERE status = 'active' AND valid_until < $1
                    ORDER BY valid_until LIMIT $2 FOR UPDATE SKIP LOCKED)
RETURNING h.file_id, h.member_ref, h.region, h.level, h.valid_until;

-- name: lock_award_totals
-- The yearly totals of the members and households of a batch, created at zero where new, and row-locked
-- by the upsert itself, in subject order (the caller sorts them), so two batches cannot deadlock.
INSERT INTO award_totals AS t (region, year, subject)
SELECT $1, $2, s FROM unnest($3::text[]) WITH ORDINALITY AS u(s, n) ORDER BY n
ON CONFLICT (region, year, subject) DO UPDATE SET awarded_fen = t.awarded_fen
RETURNING subject, awarded_fen;

-- name: add_award_totals
-- `subject = ANY` lets the key find the rows whatever the statistics say: joined on the amounts alone, the
-- planner hashed every total of the region's year when it did not know the table had grown (an import adds
-- 200,000 in its transaction: 56 ms a chunk at 150,000 rows, and growing).
UPDATE award_totals t SET awarded_fen = t.awarded_fen + d.fen
FROM unnest($3::text[], $4::bigint[]) AS d(subject, fen)
WHERE t.region = $1 AND t.year = $2 AND t.subject = ANY($3::text[]) AND t.subject = d.subject;

-- name: lock_members_in_campaign
-- A member's registrations in a campaign are taken one at a time (so no member gets two live cases in a
-- campaign by a race): every registration, single or a chunk of an import, locks its members in one
-- statement, in key order, so two batches cannot deadlock. Two chunks of an import in flight hold 2,000
-- of these; the lock table has room for max_connections x 64.
SELECT count(pg_advisory_xact_lock(k))
FROM (SELECT DISTINCT hashtext($1 || ':' || m) AS k FROM unnest($2::text[]) AS m ORDER BY k) AS keys;

-- name: cases_of_members
-- The members' cases first, behind a fence the planner cannot see through, then the campaign's: a campaign
-- not yet in the statistics (one being imported) looks like one row, and the planner would otherwise
-- read every case of it through a campaign-led index to find a few members.
WITH of_members AS MATERIALIZED (
    SELECT member_ref, case_id, status, campaign FROM cases WHERE member_ref = ANY($2::text[])
)
SELECT member_ref, case_id, status FROM of_members WHERE campaign = $1;

-- name: insert_history
INSERT INTO case_history (case_id, action, actor, detail)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[]);

-- name: case_history
SELECT action, actor, detail, at FROM case_history WHERE case_id = $1 ORDER BY entry_id;

-- name: insert_cases
INSERT INTO cases (case_id, programme, campaign, region, year, member_ref, payee_name_enc, payee_account_enc,
                   status, amount_fen, tier, rule_set_id, rule_set_version, reasons, approvals_required,
                   registered_by, import_id, import_row, household_ref, application, inputs, decision_hash)
SELECT c.case_id, $1, $2, $3, $4, c.member_ref, c.payee_name_enc, c.payee_account_enc, c.status, c.amount_fen,
       c.tier, $5, $6, c.reasons, c.approvals_required, $7, $8, c.import_row, c.household_ref, c.application,
       c.inputs, c.decision_hash
FROM unnest($9::uuid[], $10::text[], $11::bytea[], $12::bytea[], $13::text[], $14::bigint[], $15::text[],
            $16::jsonb[], $17::int[], $18::int[], $19::text[], $20::jsonb[], $21::jsonb[], $22::text[])
     AS c(case_id, member_ref, payee_name_enc, payee_account_enc, status, amount_fen, tier, reasons,
          approvals_required, import_row, household_ref, application, inputs, decision_hash);

-- name: reassess_case
-- An appeal's new assessment: decided afresh, by approvers other than those who decided before.
UPDATE cases SET status = $2, amount_fen = $3, tier = $4, rule_set_id = $5, rule_set_version = $6, reasons = $7,
                 approvals_required = $8, inputs = $9, decision_hash = $10, approvals = '{}', decided_by = NULL,
                 decision_reason = NULL, excluded_approvers = excluded_approvers || $11::text[],
                 application = coalesce($12::jsonb, application), appeals = appeals + 1, updated_at = now()
WHERE case_id = $1;

-- name: cases_for_decision
-- The selection, locked in id order (so concurrent batch decisions cannot deadlock): listed ids,
-- or every eligible case of an import. Without the assessment's reasons and inputs, which no decision
-- reads: 60 % of a row's bytes, some 90 MB to send and decode for a 100,000-case approval.
SELECT case_id, programme, campaign, region, year, member_ref, household_ref, payee_name_enc, payee_account_enc,
       status, amount_fen, tier, rule_set_id, rule_set_version, approvals_required, registered_by, approvals,
       decided_by, decision_reason, excluded_approvers, appeals, application, payment_id, payment_status,
       payment_reason, import_id, import_row
FROM cases
WHERE ($1::text IS NULL OR campaign = $1)
  AND (case_id = ANY($2::uuid[]) OR (import_id = $3 AND status = 'eligible'))
ORDER BY case_id FOR UPDATE;

-- name: record_approvals
UPDATE cases c SET approvals = c.approvals || $1::text,
                   status = CASE WHEN a.approved THEN 'approved' ELSE c.status END,
                   decided_by = CASE WHEN a.approved THEN $1 END, updated_at = now()
FROM unnest($2::uuid[], $3::bool[]) AS a(case_id, approved)
WHERE c.case_id = ANY($2::uuid[]) AND c.case_id = a.case_id;

-- name: case_by_id
SELECT * FROM cases WHERE case_id = $1;

-- name: close_cases
-- Rejected or withdrawn.
UPDATE cases SET status = $2, decided_by = $3, decision_reason = $4, updated_at = now() WHERE case_id = ANY($1::uuid[]);

-- name: record_payment_outcomes
-- A payment's status only moves forward: waiting (for the budget), instructed, then settled or failed;
-- a settled one may come back (returned), and then the payment that pays it again takes its place.
-- `case_id = ANY`: the cases are found by key whatever the statistics say (see disbursement's fail_payments).
UPDATE cases c SET payment_id = p.payment_id, payment_status = p.status, payment_reason = p.reason,
                   updated_at = now()
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[]) AS p(case_id, payment_id, status, reason)
WHERE c.case_id = ANY($1::uuid[]) AND c.case_id = p.case_id
  AND (c.payment_status IS NULL OR c.payment_status = p.status
       OR (c.payment_status = 'waiting' AND p.status IN ('instructed', 'settled', 'failed'))
       OR (c.payment_status = 'instructed' AND p.status IN ('settled', 'failed'))
       OR (c.payment_status = 'settled' AND p.status = 'returned' AND p.payment_id = c.payment_id)
       OR (c.payment_status = 'returned' AND p.payment_id <> c.payment_id));

-- name: correct_payee
UPDATE cases SET payee_name_enc = $2, payee_account_enc = $3, updated_at = now() WHERE case_id = $1;

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

-- name: queue
-- The approval queue: a page of the caller's region's cases, filtered, in case id order (keyset paging);
-- a search names one case ($8) or one member's cases ($9, the keyed hash of the national ID searched for).
SELECT case_id, programme, campaign, status, amount_fen, tier, approvals_required, approvals, registered_by,
       excluded_approvers, import_id, import_row, payment_status, created_at
FROM cases
WHERE region = $1 AND ($2::text IS NULL OR campaign = $2) AND ($3::text IS NULL OR status = $3)
  AND ($4::text IS NULL OR programme = $4) AND ($5::uuid IS NULL OR import_id = $5)
  AND ($6::uuid IS NULL OR case_id > $6) AND ($8::uuid IS NULL OR case_id = $8)
  AND ($9::text IS NULL OR member_ref = $9)
ORDER BY case_id LIMIT $7;

-- name: member_national_id
-- The encrypted national ID behind a member reference: the member roster's, else the region's hardship file's.
SELECT national_id_enc FROM members WHERE member_ref = $1
UNION ALL
SELECT national_id_enc FROM hardship_files WHERE member_ref = $1 AND region = $2
LIMIT 1;

-- name: find_import
SELECT * FROM imports WHERE region = $1 AND kind = $2 AND coalesce(campaign, '') = coalesce($3, '')
                        AND file_sha256 = $4;

-- name: import_by_id
SELECT * FROM imports WHERE import_id = $1;

-- name: insert_import
-- Nothing when the same file is being imported by another request (the unique index says which).
INSERT INTO imports (import_id, kind, region, campaign, programme, year, filename, file_sha256, status, rows_read,
                     accepted, rejected, imported_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'running', 0, 0, 0, $9)
ON CONFLICT DO NOTHING RETURNING import_id;

-- name: add_import_chunk
-- A chunk's counts added to the import's, and its place in the file noted, as the last step of its
-- transaction (the row is locked only from here to the commit, so two chunks never wait on each other
-- while holding it).
UPDATE imports SET rows_read = rows_read + $3, rejected = rejected + $4, accepted = accepted + $5,
                   eligible = eligible + $6, ineligible = ineligible + $7,
                   already_registered = already_registered + $8, eligible_fen = eligible_fen + $9,
                   chunks_done = chunks_done || $2::int
WHERE import_id = $1;

-- name: finish_import
-- Its status says how it ended.
UPDATE imports SET status = CASE WHEN rejected > 0 THEN 'completed_with_errors' ELSE 'completed' END
WHERE import_id = $1
RETURNING *;

-- name: lock_import
-- Held by the connection running the import, across its chunks' transactions; released when it ends (or
-- its session does). The same file again can take up an import only when nobody holds it.
SELECT pg_try_advisory_lock(hashtext('import:' || $1::uuid::text));

-- name: unlock_import
SELECT pg_advisory_unlock(hashtext('import:' || $1::uuid::text));

-- name: insert_import_errors
INSERT INTO import_errors (import_id, row_number, column_name, reason)
SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[]);

-- name: import_errors
SELECT row_number, column_name, reason FROM import_errors WHERE import_id = $1 ORDER BY row_number, column_name
LIMIT $2;
