"""The whole story of one case (or of every case of one member) in time order, from the event streams:
what happened, who acted, what changed. Personal data is masked: a name shows its first character, an
account its last four digits; national IDs never travel in events at all. Bytes on a topic that are no
event (poison the consumers set aside) are skipped and counted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic_core import from_json

from contracts.topics import Topic
from siji_shared.kafka import KafkaConnection, read_all
from siji_shared.pii import mask_account, mask_name

ACTORS = ("registered_by", "approved_by", "rejected_by", "withdrawn_by", "appealed_by", "corrected_by",
          "confirmed_by", "received_by")
PERSONAL = {"payee_name": mask_name, "borrower_name": mask_name, "payee_account": mask_account}  # events before sealing
SHOWN = ("status", "eligible", "amount_fen", "tier", "reasons", "rule_set_id", "rule_set_version", "reason",
         "stage", "bank_reference", "payment_id", "reissue_of", "site", "occupation", "period_end", "principal_fen")


@dataclass
class Trail:
    events: list[dict[str, Any]]
    undecodable: int  # records skipped: not an event


async def trail(kafka: KafkaConnection, *, case_id: str | None = None, member_ref: str | None = None,
                topics: Iterable[str] = tuple(Topic)) -> Trail:
    """`member_ref` is the keyed hash of a national ID (the CLI computes it; the ID is never sent).
    `topics`: every stream (the CLI's auditor principal reads them all), or those the caller may read."""
    events, undecodable = [], 0
    for topic in topics:
        for record in await read_all(kafka, topic):
            event = _event(record.value)
            if event is None:
                undecodable += 1
            else:
                events.append(event)
    cases = {case_id} if case_id else {e["payload"].get("case_id") for e in events
                                       if e["event_type"] == "case.registered"
                                       and e["payload"].get("member_ref") == member_ref}
    mine = [e for e in events if _belongs(e["payload"], cases - {None})]
    return Trail(events=[_line(e) for e in sorted(mine, key=lambda e: datetime.fromisoformat(e["occurred_at"]))],
                 undecodable=undecodable)


def _event(value: bytes | None) -> dict[str, Any] | None:
    """The record as an event's JSON, or None when it is not one: not JSON, not an object, or without the
    envelope's fields the trail reads."""
    try:
        body = from_json(value or b"")
        if not isinstance(body, dict) or not isinstance(body.get("payload"), dict) or not all(
                isinstance(body.get(k), str) for k in ("event_type", "occurred_at", "producer")):
            return None
        datetime.fromisoformat(body["occurred_at"])
    except ValueError:
        return None
    return body


def _belongs(payload: dict[str, Any], cases: set[str]) -> bool:
    return payload.get("case_id") in cases or payload.get("loan_id") in cases


def _line(e: dict[str, Any]) -> dict[str, Any]:
    p = e["payload"]
    acted = next((p[k] for k in ACTORS if k in p), None)
    changed = {k: p[k] for k in SHOWN if k in p}
    changed.update({k: mask(p[k]) for k, mask in PERSONAL.items() if p.get(k)})
    return {"at": e["occurred_at"], "event": e["event_type"], "producer": e["producer"], "by": acted,
            "changed": changed}
