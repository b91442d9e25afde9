"""Poison on every consumed topic: bytes that are not JSON, an unknown event type, a payload missing its
fields, a payload that fails its schema, and an oversized one. Each consumer group that reads the topic
sets each one aside in the dead-letter topic with its reason and carries on, healthy."""

import asyncio
import json
import time
import uuid

from contracts import encode, new_envelope
from siji_cli.infra.access import CONSUMES
from siji_shared.dead_letters import describe
from siji_shared.kafka import idempotent_producer, read_all
from support.events import case_approved


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
