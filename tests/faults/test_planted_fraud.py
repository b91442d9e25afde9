"""An insider with a service's Kafka credentials (eligibility's, then disbursement's: the broker refuses
anyone else, see tests/integration/test_kafka_access.py) plants a forged approval and a second
settlement; the auditors find both: the audit service raises findings as it watches, and `verify` lists them. Run after every
other end-to-end test (it leaves the streams dirty on purpose); the replay and re-derive checks, which
must be clean, run first."""

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from audit.books import check_books
from audit.verify import verify
from contracts import Envelope, encode, new_envelope
from contracts.disbursement import PaymentReturnedV1, PaymentSettledV1
from contracts.eligibility import CaseApprovedV1
from contracts.topics import Topic
from siji_shared.auth import Role
from siji_shared.kafka import idempotent_producer, records_on
from support.cli import siji
from support.events import case_approved, case_registered


def last_json_line(done) -> dict:
    return json.loads(done.stdout.strip().splitlines()[-1])


async def test_replay_finds_no_difference_until_a_projection_row_is_corrupted(infra, deployment):
    clean = siji(infra, deployment, "audit", "replay", "--json")
    report = last_json_line(clean)
    assert clean.returncode == 0, report["differences"]
    assert report["events"] > 1000 and report["compared"]["payments"] > 0 and report["compared"]["cases"] > 0
    assert await records_on(infra.kafka, [t.value for t in Topic]) >= report["events"], "the progress bar's total"

    conn = await asyncpg.connect(infra.database_url)
    try:
        payment = await conn.fetchval("SELECT payment_id FROM disbursement.payments WHERE status = 'settled' LIMIT 1")
        await conn.execute("UPDATE disbursement.payments SET status = 'failed' WHERE payment_id = $1", payment)
        corrupted = siji(infra, deployment, "audit", "replay", "--json")
        today = datetime.now(UTC).date()
        from_today = siji(infra, deployment, "audit", "replay", "--from", today.isoformat(), "--json")
        from_tomorrow = siji(infra, deployment, "audit", "replay", "--from", str(today + timedelta(days=1)))
        await conn.execute("UPDATE disbursement.payments SET status = 'settled' WHERE payment_id = $1", payment)
    finally:
        await conn.close()
    assert corrupted.returncode == 1
    assert any(str(payment) in d for d in last_json_line(corrupted)["differences"]["payments"])
    assert from_today.returncode == 1, "the payment's events are today's"
    assert any(str(payment) in d for d in last_json_line(from_today)["differences"]["payments"])
    lines = from_tomorrow.stdout.splitlines()  # with its progress bar: the report is the JSON after it
    later = json.loads("\n".join(lines[lines.index("{"):]))
    assert from_tomorrow.returncode == 0 and later["compared"]["payments"] == 0, "nothing from tomorrow to compare"


async def test_a_tampered_rule_set_changes_the_decision_hashes_rederive_reports(infra, deployment):
    assert siji(infra, deployment, "audit", "rederive", "--json").returncode == 0
    conn = await asyncpg.connect(infra.database_url)
    row = await conn.fetchrow("SELECT rule_set_id, version, rules FROM eligibility.rule_sets r WHERE EXISTS "
                              "(SELECT 1 FROM eligibility.cases c WHERE c.rule_set_id = r.rule_set_id "
                              "AND c.rule_set_version = r.version) LIMIT 1")
    key = (row["rule_set_id"], row["version"])
    await conn.execute("ALTER TABLE eligibility.rule_sets DISABLE TRIGGER USER")
    try:
        await conn.execute("UPDATE eligibility.rule_sets SET rules = jsonb_set(rules, '{second_approval_above_fen}', "
                           "'1') WHERE rule_set_id = $1 AND version = $2", *key)
        tampered = siji(infra, deployment, "audit", "rederive", "--json")
    finally:
        await conn.execute("UPDATE eligibility.rule_sets SET rules = $3::jsonb WHERE rule_set_id = $1 AND version = $2",
                           *key, row["rules"])
        await conn.execute("ALTER TABLE eligibility.rule_sets ENABLE TRIGGER USER")
        await conn.close()
    report = last_json_line(tampered)
    assert tampered.returncode == 1 and report["differences"] and report["rule_sets_changed"]
    assert siji(infra, deployment, "audit", "rederive", "--json").returncode == 0, "put back, it re-derives again"


async def test_a_forged_approval_and_a_second_settlement_are_found(infra, deployment, api):
    campaign = f"fraud-{uuid.uuid4().hex[:6]}"
    finance = {"user": "fin-1", "role": Role.FINANCE}
    assert (await api.post("disbursement", "/budgets", {"campaign": campaign, "programme": "winter-warmth",
                                                        "total_fen": 60_000}, **finance)).status_code == 201
    forged = CaseApprovedV1(case_id=uuid.uuid4(), campaign=campaign, programme="winter-warmth", region="taicang",
                            amount_fen=50_000, approved_by=("nobody",), rule_set_id="winter-warmth/taicang/2026",
                            rule_set_version=1, payee_name="某人", payee_account="6222000011112222333")
    await api.set_bank(failure_rate=0.0)
    try:
        await plant(infra.connection_for("eligibility"), forged)
        paid = await _settlement_of(api, campaign)
        again = PaymentSettledV1(payment_id=uuid.uuid4(), case_id=forged.case_id, campaign=campaign,
                                 amount_fen=50_000, bank_reference="FORGED", settled_at=datetime.now(UTC))
        await plant(infra.connection_for("disbursement"), again)
    finally:
        await api.set_bank()
    assert paid, "today a forged approval is paid (the trust issue closes that); the audit must catch it"

    report = await verify(infra.kafka, infra.database_url, campaign=campaign)
    assert f"case {forged.case_id} approved without an eligible assessment" in report.violations
    assert f"case {forged.case_id} paid 2 times" in report.violations

    deadline = time.monotonic() + 60
    while True:
        found = (await api.get("audit", f"/findings?campaign={campaign}")).json()["findings"]
        kinds = {f["kind"] for f in found}
        if {"paid_twice", "budget_overspent"} <= kinds or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    assert "paid_twice" in kinds, found
    assert all(f["evidence"] for f in found)


async def test_a_tampered_stored_outcome_is_found_by_rederive(infra, deployment):
    """The decision hash covers the rules and inputs, not the outcome: rederive re-runs the assessment."""
    conn = await asyncpg.connect(infra.database_url)
    try:
        case = await conn.fetchrow("SELECT case_id, campaign, amount_fen, rule_set_id, rule_set_version "
                                   "FROM eligibility.cases WHERE status = "
                                   "'approved' AND amount_fen > 0 AND decision_hash IS NOT NULL LIMIT 1")
        await conn.execute("UPDATE eligibility.cases SET amount_fen = amount_fen + 100 WHERE case_id = $1",
                           case["case_id"])
        try:
            tampered = siji(infra, deployment, "audit", "rederive", "--campaign", case["campaign"], "--json")
        finally:
            await conn.execute("UPDATE eligibility.cases SET amount_fen = $2 WHERE case_id = $1", case["case_id"],
                               case["amount_fen"])
    finally:
        await conn.close()
    assert tampered.returncode == 1
    assert last_json_line(tampered)["differences"] == [
        f"case {case['case_id']}: amount_fen recorded {case['amount_fen'] + 100}, re-derived {case['amount_fen']} "
        f"under {case['rule_set_id']} v{case['rule_set_version']}"]
    assert siji(infra, deployment, "audit", "rederive", "--campaign", case["campaign"], "--json").returncode == 0


async def test_a_second_case_paid_to_one_member_is_found_and_verify_exits_1(infra, deployment):
    """An insider registers a second case for a member and settles it: `siji audit verify` lists the member
    paid twice and exits 1, while a payment returned and paid again (one case) is not a double payment."""
    campaign = f"member-{uuid.uuid4().hex[:6]}"
    member, other = uuid.uuid4().hex * 2, uuid.uuid4().hex * 2
    first, second, bounced_case = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    registered = [case_registered(campaign, case_id=c, member_ref=m)
                  for c, m in ((first, member), (second, member), (bounced_case, other))]
    payments = {c: PaymentSettledV1(payment_id=uuid.uuid4(), case_id=c, campaign=campaign, amount_fen=50_000,
                                    bank_reference="FORGED", settled_at=datetime.now(UTC))
                for c in (first, second, bounced_case)}
    bounced = payments[bounced_case]
    returned = PaymentReturnedV1(payment_id=bounced.payment_id, case_id=bounced_case, campaign=campaign,
                                 amount_fen=50_000, reason="account closed")
    paid_again = bounced.model_copy(update={"payment_id": uuid.uuid4()})
    await plant(infra.connection_for("eligibility"), *registered)
    await plant(infra.connection_for("disbursement"), *payments.values(), returned, paid_again)

    done = siji(infra, deployment, "audit", "verify", "--campaign", campaign, "--streams-only", "--json")
    assert done.returncode == 1, done.stderr[-2000:]
    violations = last_json_line(done)["violations"]
    members = [v for v in violations if v.startswith("member ")]
    assert members == [f"member {member[:12]}… paid for 2 cases in campaign {campaign} "
                       f"({', '.join(sorted([str(first), str(second)]))}), assessed as allowed 1"], violations


async def test_the_books_find_a_member_paid_in_two_cases_and_a_total_over_its_cap(infra):
    """The books' side: one member's two paid cases of a campaign (a second paid member's case given the
    first's member, committed and put back) and yearly totals over the region's caps (rows planted and
    removed)."""
    conn = await asyncpg.connect(infra.database_url)
    try:
        paid = await conn.fetchrow(
            "SELECT c.campaign, array_agg(c.case_id ORDER BY c.case_id) AS cases, "
            "array_agg(c.member_ref ORDER BY c.case_id) AS refs FROM eligibility.cases c "
            "JOIN disbursement.payments p USING (case_id) WHERE p.status = 'settled' "
            "GROUP BY c.campaign HAVING count(DISTINCT c.member_ref) >= 2 LIMIT 1")
        assert not (await check_books(infra.database_url, campaign=paid["campaign"])).violations
        await conn.execute("UPDATE eligibility.cases SET member_ref = $2 WHERE case_id = $1", paid["cases"][1],
                           paid["refs"][0])
        try:
            twice = await check_books(infra.database_url, campaign=paid["campaign"])
        finally:
            await conn.execute("UPDATE eligibility.cases SET member_ref = $2 WHERE case_id = $1", paid["cases"][1],
                               paid["refs"][1])
        caps = await conn.fetchrow("SELECT max((rules #>> '{caps,per_member_per_year_fen}')::bigint) AS member, "
                                   "max((rules #>> '{caps,per_household_per_year_fen}')::bigint) AS household "
                                   "FROM eligibility.rule_sets WHERE kind = 'hardship-standards' AND region = "
                                   "'taicang' AND year = 2026")
        subjects = {"member:" + "p" * 64: caps["member"] + 1, "household:" + "q" * 64: caps["household"] + 1}
        await conn.executemany("INSERT INTO eligibility.award_totals (region, year, subject, awarded_fen) "
                               "VALUES ('taicang', 2026, $1, $2)", subjects.items())
        try:
            over = await check_books(infra.database_url)
        finally:
            await conn.execute("DELETE FROM eligibility.award_totals WHERE subject = ANY($1::text[])", list(subjects))
    finally:
        await conn.close()
    assert [v for v in twice.violations if v.startswith("no member paid")] == [
        f"no member paid for more cases of a campaign than its rule set allows (a payment returned and paid again is "
        f"one case): member {paid['refs'][0][:12]}… in campaign {paid['campaign']}: paid for 2 cases "
        f"({', '.join(map(str, sorted(paid['cases'][:2])))}), the rule set allows 1"]
    capped = [v.split(": ", 1)[1] for v in over.violations if v.startswith("no member's or household's")]
    assert sorted(capped) == [f"taicang 2026, household:qqqqqqqqqqqq…: awarded {caps['household'] + 1} fen, over the "
                              f"yearly cap of {caps['household']} fen",
                              f"taicang 2026, member:ppppppppppppppp…: awarded {caps['member'] + 1} fen, over the "
                              f"yearly cap of {caps['member']} fen"]


async def test_the_trail_of_a_case_is_in_time_order_masked_and_skips_what_is_no_event(infra, deployment):
    """`siji audit trail --case ID --json`: a registration planted after the approval it came before is
    still shown first, the payee's name and account (in clear in a v1 approval) masked, and bytes on a
    topic that are no event skipped and counted."""
    campaign = f"trail-{uuid.uuid4().hex[:6]}"
    approval = case_approved(campaign, payee_name="王小明", payee_account="6222000011112222333")
    registration = new_envelope(case_registered(campaign, case_id=approval.case_id), producer="forged",
                                occurred_at=datetime.now(UTC) - timedelta(minutes=1))
    await plant(infra.connection_for("eligibility"), approval, b"\xff not json", b"[1, 2]", registration)

    done = siji(infra, deployment, "audit", "trail", "--case", str(approval.case_id), "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    story = last_json_line(done)
    events = story["events"]
    assert [e["event"] for e in events[:2]] == ["case.registered", "case.approved"]
    times = [datetime.fromisoformat(e["at"]) for e in events]
    assert times == sorted(times)
    assert events[1]["changed"]["payee_name"] == "王**" and events[1]["changed"]["payee_account"].endswith("*2333")
    assert "王小明" not in done.stdout and "6222000011112222333" not in done.stdout
    assert story["undecodable"] >= 2


async def plant(kafka, *payloads) -> None:
    """Each payload (or envelope) on its own topic, keyed as the service would; bytes (no event) on
    eligibility.cases."""
    producer = idempotent_producer(kafka, client_id="an-insider")
    await producer.start()
    try:
        for payload in payloads:
            if isinstance(payload, bytes):
                await producer.send_and_wait(Topic.ELIGIBILITY_CASES.value, payload, key=b"poison")
                continue
            envelope = payload if isinstance(payload, Envelope) else new_envelope(payload, producer="forged")
            await producer.send_and_wait(envelope.topic.value, encode(envelope), key=envelope.key.encode())
    finally:
        await producer.stop()


async def _settlement_of(api, campaign: str) -> bool:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        view = (await api.get("disbursement", f"/budgets/{campaign}", user="fin-1", role=Role.FINANCE)).json()
        if view["paid_fen"]:
            return True
        await asyncio.sleep(0.3)
    return False
