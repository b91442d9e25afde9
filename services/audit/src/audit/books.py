"""The invariants over the services' books, for auditors with read access to their schemas: each check
is one query over a whole system (or one campaign) that returns the rows that break it, each with a
sentence saying how. Nothing here writes. A cap is checked against the highest the region's standards set
for the year (a later version may lower it for awards still to come, not for those made)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

# (name, query): $1 is the campaign or NULL for all; every row's `violation` says what is wrong.
CHECKS: tuple[tuple[str, str], ...] = (
    ("an approved case has one live payment, in the approved amount", """
        SELECT 'case ' || c.case_id || ': ' || CASE
                 WHEN count(p.payment_id) = 0 THEN 'approved, never paid nor queued'
                 WHEN count(p.payment_id) > 1 THEN count(p.payment_id) || ' live payments'
                 ELSE 'paid ' || min(p.amount_fen) || ' fen, approved ' || c.amount_fen || ' fen' END AS violation
        FROM eligibility.cases c
        LEFT JOIN disbursement.payments p ON p.case_id = c.case_id AND p.status <> 'returned'
        WHERE c.status = 'approved' AND NOT (c.application ? 'loan' OR c.application ? 'registration')
          AND ($1::text IS NULL OR c.campaign = $1)
        GROUP BY c.case_id, c.amount_fen
        HAVING count(p.payment_id) <> 1 OR min(p.amount_fen) <> c.amount_fen"""),
    ("no member paid for more cases of a campaign than its rule set allows (a payment returned and paid again "
     "is one case)", """
        SELECT 'member ' || left(c.member_ref, 12) || '… in campaign ' || c.campaign || ': paid for ' || count(*)
               || ' cases (' || string_agg(c.case_id::text, ', ' ORDER BY c.case_id) || '), the rule set allows '
               || max(coalesce((r.rules ->> 'max_awards_per_member_per_campaign')::int, 1))
        FROM eligibility.cases c
        JOIN eligibility.rule_sets r ON r.rule_set_id = c.rule_set_id AND r.version = c.rule_set_version
        WHERE ($1::text IS NULL OR c.campaign = $1)
          AND EXISTS (SELECT 1 FROM disbursement.payments p WHERE p.case_id = c.case_id AND p.status = 'settled')
        GROUP BY c.campaign, c.member_ref
        HAVING count(*) > max(coalesce((r.rules ->> 'max_awards_per_member_per_campaign')::int, 1))"""),
    ("no member's or household's awards of a year across programmes over its cap", """
        SELECT t.region || ' ' || t.year || ', ' || left(t.subject, 22) || '…: awarded ' || t.awarded_fen
               || ' fen, over the yearly cap of ' || CASE WHEN t.subject LIKE 'member:%' THEN k.member_cap
                                                          ELSE k.household_cap END || ' fen'
        FROM eligibility.award_totals t
        JOIN (SELECT region, year, max((rules #>> '{caps,per_member_per_year_fen}')::bigint) AS member_cap,
                     max((rules #>> '{caps,per_household_per_year_fen}')::bigint) AS household_cap
              FROM eligibility.rule_sets WHERE kind = 'hardship-standards' GROUP BY region, year) k USING (region, year)
        WHERE t.awarded_fen > CASE WHEN t.subject LIKE 'member:%' THEN k.member_cap ELSE k.household_cap END
          AND ($1::text IS NULL OR EXISTS (
                SELECT 1 FROM eligibility.cases c WHERE c.campaign = $1 AND c.region = t.region AND c.year = t.year
                  AND t.subject IN ('member:' || c.member_ref,
                                    'household:' || coalesce(c.household_ref, 'member:' || c.member_ref))))"""),
    ("every payment is for an approved case or a subsidy period due", """
        SELECT 'payment ' || p.payment_id || ' of campaign ' || p.campaign || ': no approved case, no subsidy due'
        FROM disbursement.payments p
        WHERE ($1::text IS NULL OR p.campaign = $1)
          AND NOT EXISTS (SELECT 1 FROM eligibility.cases c WHERE c.case_id = p.case_id AND c.status = 'approved')
          AND NOT EXISTS (SELECT 1 FROM loans.periods s WHERE s.entitlement_id = p.case_id)"""),
    ("each payment moved money by the ledger's rules", """
        SELECT 'payment ' || p.payment_id || ' (' || p.status || '): ledger ' || coalesce(k.kinds, '{}')::text
        FROM disbursement.payments p
        LEFT JOIN (SELECT payment_id, array_agg(kind ORDER BY kind) AS kinds FROM disbursement.ledger_entries
                   WHERE payment_id IS NOT NULL GROUP BY payment_id) k USING (payment_id)
        WHERE ($1::text IS NULL OR p.campaign = $1) AND coalesce(k.kinds, '{}') <> CASE
              WHEN p.status = 'settled' THEN '{reserve,settle}'::text[]
              WHEN p.status = 'returned' THEN '{reserve,return,settle}'::text[]
              WHEN p.status = 'instructed' THEN '{reserve}'::text[]
              WHEN p.status = 'failed' AND p.failure_stage = 'bank' THEN '{release,reserve}'::text[]
              ELSE '{}'::text[] END"""),
    ("a budget balances: total = available + reserved + paid = what was funded", """
        SELECT 'campaign ' || b.campaign || ': total ' || b.total_fen || ', accounts ' || a.available || ' + '
               || a.reserved || ' + ' || a.paid || ', funded ' || -a.funding
        FROM disbursement.budgets b
        JOIN (SELECT campaign, sum(balance_fen) FILTER (WHERE kind = 'available') AS available,
                     sum(balance_fen) FILTER (WHERE kind IN ('reserved', 'cleared')) AS reserved,
                     sum(balance_fen) FILTER (WHERE kind = 'paid') AS paid,
                     sum(balance_fen) FILTER (WHERE kind = 'funding') AS funding
              FROM disbursement.accounts GROUP BY campaign) a USING (campaign)
        WHERE ($1::text IS NULL OR b.campaign = $1)
          AND NOT (b.total_fen = a.available + a.reserved + a.paid AND b.total_fen = -a.funding
                   AND a.available >= 0 AND a.reserved >= 0)"""),
    ("what the ledger paid is what the payments settled", """
        SELECT 'campaign ' || a.campaign || ': ledger paid ' || a.paid || ' fen, payments settled ' || coalesce(s.fen, 0)
        FROM (SELECT campaign, sum(balance_fen) AS paid FROM disbursement.accounts WHERE kind = 'paid'
              GROUP BY campaign) a
        LEFT JOIN (SELECT campaign, sum(amount_fen) AS fen FROM disbursement.payments WHERE status = 'settled'
                   GROUP BY campaign) s USING (campaign)
        WHERE ($1::text IS NULL OR a.campaign = $1) AND a.paid <> coalesce(s.fen, 0)"""),
    ("a settled payment is on the bank's statement, in its amount (reconciliation's classification)", """
        SELECT 'payment ' || i.payment_id || ': ' || i.classification || ' ' || i.detail
        FROM reconciliation.items i JOIN disbursement.payments p USING (payment_id)
        WHERE i.classification IN ('MISSING_AT_BANK', 'AMOUNT_MISMATCH') AND ($1::text IS NULL OR p.campaign = $1)"""),
    ("a closed reconciliation day has nothing unexplained", """
        SELECT 'business day ' || i.business_date || ': ' || count(*) || ' unexplained item(s), e.g. '
               || min(i.item_id) || ' ' || min(i.classification)
        FROM reconciliation.items i JOIN reconciliation.days d USING (business_date)
        WHERE NOT i.explained AND d.open_items = 0
          AND ($1::text IS NULL OR i.payment_id IN (SELECT payment_id FROM disbursement.payments WHERE campaign = $1))
        GROUP BY i.business_date"""),
    ("a subsidy fund never promises more than it holds", """
        SELECT 'fund ' || campaign || ': reserved ' || reserved_fen || ' + spent ' || spent_fen || ' > total ' || total_fen
        FROM loans.funds WHERE ($1::text IS NULL OR campaign = $1) AND reserved_fen + spent_fen > total_fen"""),
    ("a subsidy period's interest is the bank's report of it; nothing for an overdue or extended one", """
        SELECT 'loan ' || p.loan_id || ' period to ' || p.period_end || ': ' || CASE
                 WHEN b.seq IS NULL THEN 'no interest report from the bank'
                 WHEN (b.body ->> 'interest_fen')::bigint <> p.interest_fen THEN 'interest ' || p.interest_fen
                      || ' fen, the bank reported ' || (b.body ->> 'interest_fen')
                 ELSE 'a subsidy for a period the bank reported ' || (b.body ->> 'status') END
        FROM loans.periods p JOIN loans.loans l USING (loan_id)
        LEFT JOIN loans.bank_events b ON b.seq = p.reported_seq AND b.event_type = 'interest.charged'
        WHERE p.status IN ('due', 'paid') AND ($1::text IS NULL OR l.campaign = $1)
          AND (b.seq IS NULL OR (b.body ->> 'interest_fen')::bigint <> p.interest_fen
               OR b.body ->> 'status' <> 'normal')"""),
    ("a subsidy paid is a payment settled", """
        SELECT 'loan ' || s.loan_id || ' period to ' || s.period_end || ': marked paid, payment '
               || coalesce(p.status, 'missing')
        FROM loans.periods s JOIN loans.loans l USING (loan_id)
        LEFT JOIN disbursement.payments p ON p.case_id = s.entitlement_id AND p.status <> 'returned'
        WHERE s.status = 'paid' AND ($1::text IS NULL OR l.campaign = $1) AND p.status IS DISTINCT FROM 'settled'"""),
    ("every item of a cooling campaign is accounted for", """
        SELECT 'campaign ' || campaign || ', item ' || item || ': the locations add up to ' || sum(quantity)
               || ', not 0 (received = handed out + in stock + in transit + written off)'
        FROM cooling.item_balances WHERE $1::text IS NULL OR campaign = $1
        GROUP BY campaign, item HAVING sum(quantity) <> 0"""),
    ("every kit kept went to a registered worker", """
        SELECT 'hand-out ' || h.handout_id || ' at ' || h.site || ': the worker is not registered in ' || h.campaign
        FROM cooling.handouts h
        WHERE ($1::text IS NULL OR h.campaign = $1)
          AND NOT EXISTS (SELECT 1 FROM cooling.registrations r
                          WHERE r.campaign = h.campaign AND r.worker_ref = h.worker_ref)"""),
)


@dataclass
class BooksReport:
    checks: int
    violations: list[str]


async def check_books(database_url: str, *, campaign: str | None = None) -> BooksReport:
    """Every check over the books; a schema that does not exist yet (a service never started) has nothing
    to break."""
    conn = await asyncpg.connect(database_url)
    violations: list[str] = []
    try:
        present = {r["nspname"] for r in await conn.fetch("SELECT nspname FROM pg_namespace")}
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            for name, query in CHECKS:
                needed = {s for s in ("eligibility", "disbursement", "reconciliation", "loans", "cooling")
                          if f"{s}." in query}
                if not needed <= present:
                    continue
                violations += [f"{name}: {row[0]}" for row in await conn.fetch(query, campaign)]
    finally:
        await conn.close()
    return BooksReport(checks=len(CHECKS), violations=violations)
