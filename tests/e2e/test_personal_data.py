"""No topic holds a payee's name or account in clear: the approvals, corrections and subsidies the
services have published in this session carry them sealed for their consumer only."""

import json

from contracts.topics import Topic
from siji_shared.kafka import read_all

CLEAR = {"payee_name", "payee_account", "borrower_name"}


async def test_the_events_the_services_publish_carry_personal_data_sealed(infra):
    sealed = 0
    for topic in (Topic.ELIGIBILITY_CASES, Topic.LOANS_SUBSIDIES, Topic.DISBURSEMENT_PAYMENTS):
        for record in await read_all(infra.kafka, topic.value):
            try:
                event = json.loads(record.value or b"{}")
            except ValueError:
                continue  # poison a test published by hand
            if not isinstance(event, dict) or event.get("producer") not in ("eligibility", "loans", "disbursement"):
                continue  # what tests publish by hand
            payload = event.get("payload", {})
            assert not CLEAR & payload.keys(), (event["event_type"], sorted(CLEAR & payload.keys()))
            sealed += sum(str(v).startswith("sealed:v") for v in payload.values())
    assert sealed > 0, "approvals, loans and subsidies were published, sealed"
