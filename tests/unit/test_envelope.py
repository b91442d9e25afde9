import json
import uuid
from datetime import datetime

import pytest
from pydantic import ValidationError

from contracts import decode, encode, new_envelope
from contracts.disbursement import PaymentSettledV1
from contracts.eligibility import CaseApprovedV1, CaseApprovedV2
from contracts.envelope import UndecodableEvent
from support.events import case_approved, case_registered


def test_round_trip_keeps_type_ids_and_causation():
    cause = new_envelope(case_registered(), producer="eligibility")
    effect = new_envelope(case_approved(case_id=cause.payload.case_id), producer="eligibility", causation=cause)
    decoded = decode(encode(effect))
    assert isinstance(decoded.payload, CaseApprovedV1)
    assert decoded == effect
    assert decoded.causation_id == cause.event_id
    assert decoded.correlation_id == str(cause.payload.case_id)
    assert decoded.key == str(effect.payload.case_id)
    assert decoded.topic.value == "eligibility.cases"


def test_money_must_be_integer_fen():
    with pytest.raises(ValidationError):
        case_approved(amount_fen=500.5)
    body = json.loads(encode(new_envelope(case_approved(), producer="t")))
    body["payload"]["amount_fen"] = 500.0
    with pytest.raises(UndecodableEvent, match="amount_fen"):
        decode(json.dumps(body).encode())


def test_timestamps_must_carry_a_zone():
    with pytest.raises(ValidationError):
        PaymentSettledV1(payment_id=uuid.uuid4(), case_id=uuid.uuid4(), campaign="c", amount_fen=1,
                         bank_reference="r", settled_at=datetime(2026, 1, 1))


def test_fields_added_later_are_ignored_by_older_consumers():
    body = json.loads(encode(new_envelope(case_registered(), producer="t")))
    body["payload"]["added_in_a_later_release"] = "x"
    assert decode(json.dumps(body).encode()).payload.campaign == "test-campaign"


@pytest.mark.parametrize(("raw", "reason"), [
    (b"\xff\xfe", "not an envelope"),
    (b'{"event_type": "case.approved", "schema_version": 9, "payload": {}}', "unknown event case.approved v9"),
    (b'{"event_type": "case.approved", "schema_version": 1, "payload": {}}', "case.approved v1"),
])
def test_undecodable_events_say_why(raw, reason):
    with pytest.raises(UndecodableEvent, match=reason):
        decode(raw)


def test_a_right_guess_reads_the_same_event_and_a_wrong_one_falls_back_to_the_body():
    approved = new_envelope(case_approved(), producer="eligibility")
    raw = encode(approved)
    assert decode(raw, CaseApprovedV1) == approved
    assert decode(raw, CaseApprovedV2) == approved  # a v1 body read by a reader whose newest is v2
    assert isinstance(decode(raw, CaseApprovedV2).payload, CaseApprovedV1)
    assert decode(raw, PaymentSettledV1) == approved  # a header that names the wrong type
    with pytest.raises(UndecodableEvent, match="case.approved v1"):
        decode(b'{"event_type": "case.approved", "schema_version": 1, "payload": {}}', CaseApprovedV1)


def test_payloads_are_frozen():
    event = case_approved()
    with pytest.raises(ValidationError):
        event.amount_fen = 1


def test_every_event_is_known_to_decode_in_a_fresh_interpreter():
    import subprocess
    import sys

    script = "import contracts.envelope as e, contracts; print(len(e.REGISTRY))"
    out = subprocess.run([sys.executable, "-P", "-c", script], capture_output=True, text=True, check=True).stdout
    from contracts.export import SCHEMA_DIR

    assert int(out) == len(list(SCHEMA_DIR.glob("*.json"))), "every event with a committed schema registers"
