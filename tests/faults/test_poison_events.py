"""Poison on every consumed topic: bytes that are not JSON, an unknown event type, a payload missing its
fields, a payload that fails its schema, and an oversized one. Each consumer group that reads the topic
sets each one aside in the dead-letter topic with its reason and carries on, healthy; and the operator's
correction of each kind takes effect once."""

import asyncio
import json
import time
import uuid

import asyncpg

from contracts import encode, new_envelope
from contracts.topics import Topic
from siji_cli.infra.access import CONSUMES
from siji_shared.auth import Role
from siji_shared.dead_letters import describe
from siji_shared.kafka import idempotent_producer, read_all
from support.cli import siji
from support.events import case_approved
from support.kafka import eventually


def poisons(marker: str) -> list[tuple[str, bytes]]:
    valid = json.loads(encode(new_envelope(case_approved(), producer="poison")))
    unknown = {**valid, "event_type": "case.teleported"}
    missing = {**valid, "payload": {"case_id": str(uuid.uuid4())}}
    wrong = {**valid, "payload": {**valid["payload"], "amount_fen": "fifty yuan"}}
    huge = {**valid, "payload": {**valid["payload"], "payee_name": "x" * 700_000}}  # within the broker's 1 MB
    return [(f"{marker}-{kind}", body) for kind, body in (
        ("not-json", b"\xff\xfe not json at all"), ("unknown-type", json.dumps(unknown).encode()),
        ("missing-fields", json.dumps(missing).encode()), ("fails-schema", json.dumps(wrong).encode()),
        ("oversized", json.dumps(huge).encode()))]


async def test_poison_on_every_consumed_topic_is_set_aside_with_its_reason(infra, deployment, api):
    marker = f"poison-{uuid.uuid4().hex[:8]}"
    topics = sorted({t for consumed in CONSUMES.values() for t in consumed}, key=lambda t: t.value)
    producer = idempotent_producer(infra.kafka, client_id="poison-test")
    await producer.start()
    try:
        for topic in topics:
            for key, body in poisons(marker):
                await producer.send_and_wait(topic.value, body, key=key.encode())
    finally:
        await producer.stop()

    expected = {(group, topic.value) for group, consumed in CONSUMES.items() for topic in consumed}
    deadline, found = time.monotonic() + 90, set()
    while time.monotonic() < deadline:
        found = set()
        for topic in topics:
            for letter in map(describe, await read_all(infra.kafka, topic.dead_letter)):
                if letter.key.startswith(marker):
                    assert letter.reason, letter
                    found.add((letter.consumer_group, topic.value, letter.key))
        if {(g, t) for g, t, _ in found} >= expected and len(found) >= 5 * len(expected):
            break
        await asyncio.sleep(1)
    missing = {(g, t) for g, t in expected} - {(g, t) for g, t, _ in found}
    assert not missing, f"never dead-lettered by {sorted(missing)}"
    assert len(found) >= 5 * len(expected), "every poison, by every group reading the topic"
    for service in CONSUMES:
        assert (await api.http.get(f"{deployment.url(service)}/health")).status_code == 200, service


async def test_each_kind_of_poison_corrected_by_the_operator_is_paid_once(infra, deployment, api, tmp_path):
    """On the money path (eligibility.cases, read by disbursement): each kind of poison is set aside; the
    operator reads it (`siji dead-letters show`, personal data redacted) and sends a correction in its
    place (`siji dead-letters fix`), twice by mistake: each correction is paid exactly once. A correction
    that is still wrong is refused with its reason and sends nothing."""
    campaign = f"fix-{uuid.uuid4().hex[:8]}"
    created = await api.post("disbursement", "/budgets", {"campaign": campaign, "programme": "winter-warmth",
                                                          "total_fen": 1_000_000}, user="fin-taicang-01",
                             role=Role.FINANCE)
    assert created.status_code in (200, 201), created.text
    marker = f"fixme-{uuid.uuid4().hex[:8]}"
    producer = idempotent_producer(infra.kafka, client_id="poison-fix-test")
    await producer.start()
    try:
        for key, body in poisons(marker):
            await producer.send_and_wait(Topic.ELIGIBILITY_CASES.value, body, key=key.encode())
    finally:
        await producer.stop()

    async def set_aside() -> dict[str, str]:
        letters = {d.key: f"{d.partition}@{d.offset}" for d in map(describe, await read_all(
            infra.kafka, Topic.ELIGIBILITY_CASES.dead_letter)) if d.key.startswith(marker)
            and d.consumer_group == "disbursement"}
        return len(letters) == 5 and letters
    letters = await eventually(set_aside, timeout=90)

    shown = siji(infra, deployment, "dead-letters", "show", "eligibility.cases", "--at", letters[f"{marker}-oversized"])
    assert shown.returncode == 0 and "<redacted>" in shown.stdout and "x" * 100 not in shown.stdout

    corrections = {}
    for key, at in letters.items():
        approval = case_approved(campaign=campaign, amount_fen=20_000)
        corrections[approval.case_id] = tmp_path / f"{key}.json"
        corrections[approval.case_id].write_bytes(encode(new_envelope(approval, producer="siji-operator")))
        for _ in range(2):
            sent = siji(infra, deployment, "dead-letters", "fix", "eligibility.cases", "--group", "disbursement",
                        "--at", at, "--file", str(corrections[approval.case_id]))
            assert sent.returncode == 0, sent.stderr
    still_wrong = tmp_path / "still-wrong.json"
    still_wrong.write_text(json.dumps({**json.loads(corrections[approval.case_id].read_bytes()), "payload": {}}))
    refused = siji(infra, deployment, "dead-letters", "fix", "eligibility.cases", "--group", "disbursement",
                   "--at", at, "--file", str(still_wrong))
    assert refused.returncode == 1 and "payload" in refused.stderr and "not sent" in refused.stderr

    async def paid() -> list:
        conn = await asyncpg.connect(infra.database_url)
        try:
            rows = await conn.fetch("SELECT case_id, count(*) AS n FROM disbursement.payments WHERE campaign = $1 "
                                    "GROUP BY case_id", campaign)
        finally:
            await conn.close()
        return len(rows) == 5 and rows
    rows = await eventually(paid, timeout=90)
    assert {row["case_id"] for row in rows} == set(corrections) and all(row["n"] == 1 for row in rows)
    await asyncio.sleep(3)  # the second copies of each correction have been read by now: still one each
    assert sorted(r["n"] for r in await paid()) == [1] * 5
