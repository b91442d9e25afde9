"""Reconciliation's use cases: take what disbursement reports and what the bank books, classify every
payment, statement entry and statement, close the days that are fully explained, report a day. Each
returns what it answers and the events it emits; its caller stages them."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date
from typing import Any

import asyncpg
import structlog

from contracts import Envelope, new_envelope
from contracts.disbursement import PaymentFailedV1, PaymentInstructedV1, PaymentSettledV1
from contracts.reconciliation import DayClosedV1, ItemClassifiedV1, ReturnFoundV1
from reconciliation import repository as repo
from reconciliation.domain import WHAT_TO_DO
from siji_shared.iso20022 import MessageInvalid, parse_camt053, parse_camt054
from siji_shared.usecase import Done

PRODUCER = "reconciliation"
STATUS: dict[type, str] = {PaymentInstructedV1: "instructed", PaymentSettledV1: "settled", PaymentFailedV1: "failed"}
SHOWN_OPEN = 200
log = structlog.get_logger(__name__)


class NotFound(LookupError):
    pass


class StatementRefused(ValueError):
    """Not a camt.053 this service can take; nothing is stored."""


async def record_payments(conn: asyncpg.Connection, envelopes: list[Envelope]) -> list[Envelope]:
    """Consumer of disbursement.payments: the latest state of each payment of the batch."""
    latest: dict[Any, tuple] = {}
    reissue_of = {e.payload.payment_id: e.payload.reissue_of for e in envelopes
                  if isinstance(e.payload, PaymentInstructedV1) and e.payload.reissue_of}  # the outcome lacks it
    for e in envelopes:
        p = e.payload
        status = STATUS[type(p)]
        previous = latest.get(p.payment_id)
        if previous and previous[3] != "instructed" and status == "instructed":
            continue  # an instruction redelivered after the outcome: the outcome stands
        latest[p.payment_id] = (p.payment_id, p.campaign, p.amount_fen, status, getattr(p, "bank_reference", None),
                                getattr(p, "stage", None), reissue_of.get(p.payment_id))
    await repo.upsert_payments(conn, list(latest.values()))
    return []


async def take_statement(conn: asyncpg.Connection, document: bytes, *, source: str, grace: int,
                         notification: bytes | None = None, classify_now: bool = True) -> Done:
    """A business day's camt.053, fetched from the bank or uploaded by finance, with the day's camt.054
    when the bank booked a batch as one lump debit (its lines replace the lump); the same day again
    changes nothing. Classification follows in the same transaction, unless the caller takes several
    days in a row and classifies once after the last (`classify_now=False` for the others)."""
    try:
        statement = parse_camt053(document)
        lumps = {lump.bank_reference: lump for lump in parse_camt054(notification).lumps} if notification else {}
    except MessageInvalid as exc:
        raise StatementRefused(f"not a statement this service can take: {exc}") from exc
    entries = []
    for entry in statement.entries:
        lump = lumps.get(entry.bank_reference) if not entry.end_to_end_id else None
        entries += lump.lines if lump and sum(x.amount_fen for x in lump.lines) == entry.amount_fen else [entry]
    statement = replace(statement, entries=entries)
    taken = await repo.insert_statement(conn, statement, source=source, document=document, notification=notification)
    log.info("statement taken" if taken else "statement already taken", business_date=statement.business_date,
             sequence=statement.sequence_number, entries=len(statement.entries), source=source)
    answer = {"business_date": statement.business_date.isoformat(), "sequence_number": statement.sequence_number,
              "entries": len(statement.entries), "taken": taken}
    if not taken or not classify_now:
        return Done(answer)
    classified = await classify(conn, grace=grace)
    return Done(answer, classified.events)


async def classify(conn: asyncpg.Connection, *, grace: int) -> Done:
    """Every item's classification now; an event for each new or changed one; the days with nothing
    open closed (an event each). `grace`: statements a paid line may be absent from before it is missing."""
    changed = await repo.classify(conn, grace=grace)
    events: list[Envelope] = [new_envelope(ItemClassifiedV1(
        item_id=r["item_id"], business_date=r["business_date"], classification=r["classification"],
        previous=r["previous"], payment_id=r["payment_id"], end_to_end_id=r["end_to_end_id"],
        amount_fen=r["amount_fen"], detail=r["detail"], explained=r["explained"]), producer=PRODUCER)
        for r in changed]
    events += [new_envelope(ReturnFoundV1(payment_id=r["payment_id"], business_date=r["business_date"],
                                          reason=r["detail"] or "returned by the payee's bank"), producer=PRODUCER)
               for r in changed if r["classification"] == "RETURNED" and r["previous"] != "RETURNED"
               and r["item_id"].startswith("payment:")]
    for day in await repo.days_to_close(conn):
        await repo.close_day(conn, day, by="reconciliation", open_items=0, reason="everything matched or explained")
        events.append(new_envelope(DayClosedV1(business_date=day, closed_by="reconciliation", open_items=0),
                                   producer=PRODUCER))
    if changed:
        log.info("items classified", changed=len(changed), open=sum(not r["explained"] for r in changed))
    return Done(len(changed), events)


async def sign_off(conn: asyncpg.Connection, day: date, *, by: str, reason: str) -> Done:
    """Finance closes a day that still has open mismatches, with a reason; a closed day stays closed."""
    day = await _statement_day(conn, day)
    open_now = sum(r["open"] for r in await repo.day_totals(conn, day))
    if not await repo.close_day(conn, day, by=by, open_items=open_now, reason=reason):
        raise DayAlreadyClosed(f"{day.isoformat()} is closed already; later corrections land on the day they happen")
    return Done(await report(conn, day), [new_envelope(DayClosedV1(
        business_date=day, closed_by=by, open_items=open_now, reason=reason), producer=PRODUCER)])


class DayAlreadyClosed(ValueError):
    pass


async def report(conn: asyncpg.Connection, day: date | None) -> dict[str, Any]:
    """A day's counts and sums per classification, its open mismatches with what to do about each."""
    day = await _statement_day(conn, day)
    rows = await repo.day_totals(conn, day)
    totals = {r["classification"]: {"items": r["items"], "amount_fen": r["amount_fen"], "open": r["open"]}
              for r in rows}
    open_rows = await repo.open_items(conn, day, limit=SHOWN_OPEN)
    closed = await repo.day_closed(conn, day)
    open_count = sum(r["open"] for r in rows)
    return {"business_date": day.isoformat(), "classes": totals, "open": open_count,
            "closed": None if closed is None else {"by": closed["closed_by"], "open_items": closed["open_items"],
                                                  "reason": closed["reason"], "at": closed["closed_at"].isoformat()},
            "unexplained": open_count if closed is None else 0,
            "open_items": [{"item_id": r["item_id"], "classification": r["classification"],
                            "payment_id": str(r["payment_id"]) if r["payment_id"] else None,
                            "end_to_end_id": r["end_to_end_id"], "amount_fen": r["amount_fen"], "detail": r["detail"],
                            "what_to_do": WHAT_TO_DO[r["classification"]]} for r in open_rows],
            "recovery_items": [{"item_id": r["item_id"], "end_to_end_id": r["end_to_end_id"],
                                "payment_id": str(r["payment_id"]) if r["payment_id"] else None,
                                "amount_fen": r["amount_fen"], "what_to_do": WHAT_TO_DO["DUPLICATE_AT_BANK"]}
                               for r in await repo.recovery_items(conn, day)]}


async def _statement_day(conn: asyncpg.Connection, day: date | None) -> date:
    """The day asked for (default: the latest) if its statement has been taken, else NotFound."""
    found = await repo.statement_day(conn, day)
    if found is None:
        raise NotFound(f"no statement for {day.isoformat() if day else 'any day'} has been taken yet")
    return found


async def export_csv(conn: asyncpg.Connection, day: date) -> str:
    day = await _statement_day(conn, day)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["item", "classification", "payment_id", "end_to_end_id", "amount_fen", "detail", "what_to_do"])
    for r in await repo.day_items(conn, day):
        writer.writerow([r["item_id"], r["classification"], r["payment_id"] or "", r["end_to_end_id"] or "",
                         r["amount_fen"], r["detail"], WHAT_TO_DO.get(r["classification"], "")])
    return out.getvalue()
