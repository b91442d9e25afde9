"""An insider with a service's Kafka credentials (eligibility's, then disbursement's: the broker refuses
anyone else, see tests/integration/test_kafka_access.py) plants a forged approval and a second
settlement; the auditors find both: the audit service raises findings as it watches, and `verify` lists them. Run after every
other end-to-end test (it leaves the streams dirty on purpose); the replay and re-derive checks, which
must be clean, run first."""

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime

import asyncpg

from audit.verify import verify
from contracts import encode, new_envelope
from contracts.disbursement import PaymentSettledV1
from contracts.eligibility import CaseApprovedV1
from contracts.topics import Topic
from siji_shared.auth import Role
from siji_shared.kafka import idempotent_producer
from support.cli import siji


def last_json_line(done) -> dict:
    return json.loads(done.stdout.strip().splitlines()[-1])


async def test_replay_finds_no_difference_until_a_projection_row_is_corrupted(infra, deployment):
    clean = siji(infra, deployment, "audit", "replay", "--json")
    report = last_json_line(clean)
    assert clean.returncode == 0, report["differences"]
    assert report["events"] > 1000 and report["compared"]["payments"] > 0 and report["compared"]["cases"] > 0

    conn = await asyncpg.connect(infra.database_url)
    try:
        payment = await conn.fetchval("SELECT payment_id FROM disbursement.payments WHERE status = 'settled' LIMIT 1")
        await conn.execute("UPDATE disbursement.payments SET status = 'failed' WHERE payment_id = $1", payment)
        corrupted = siji(infra, deployment, "audit", "replay", "--json")
        await conn.execute("UPDATE disbursement.payments SET status = 'settled' WHERE payment_id = $1", payment)
    finally:
        await conn.close()
    assert corrupted.returncode == 1
    assert any(str(payment) in d for d in last_json_line(corrupted)["differences"]["payments"])


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
        await plant(infra.connection_for("eligibility"), Topic.ELIGIBILITY_CASES, forged, forged.case_id)
        paid = await _settlement_of(api, campaign)
        again = PaymentSettledV1(payment_id=uuid.uuid4(), case_id=forged.case_id, campaign=campaign,
                                 amount_fen=50_000, bank_reference="FORGED", settled_at=datetime.now(UTC))
        await plant(infra.connection_for("disbursement"), Topic.DISBURSEMENT_PAYMENTS, again, again.payment_id)
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


async def plant(kafka, topic: Topic, payload, key: uuid.UUID) -> None:
    producer = idempotent_producer(kafka, client_id="an-insider")
    await producer.start()
    try:
        await producer.send_and_wait(topic.value, encode(new_envelope(payload, producer="forged")), key=str(key).encode())
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
