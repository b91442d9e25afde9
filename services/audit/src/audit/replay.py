"""Replay: read every topic from offset 0, rebuild what each service's tables should say from the events
alone, in a scratch schema of its own (no outbox, no bank client, no producer: side effects impossible
by construction; the schema is dropped afterwards), and compare it with the live tables, both ways.
Expected: no difference. Only the fields a projection needs are read from each record (plain JSON, no
model validation: `verify` validates), which is what lets it keep up with a raw consumer."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
from pydantic_core import from_json

from contracts.topics import Topic
from siji_shared.kafka import KafkaConnection, event_type_of, read_all, records_on

CASE_STATUS = {"case.approved": "approved", "loan.approved": "approved", "worker.registered": "approved",
               "case.rejected": "rejected", "case.withdrawn": "withdrawn"}
PAYMENT_STATUS = {"payment.waiting": "waiting", "payment.instructed": "instructed", "payment.settled": "settled",
                  "payment.failed": "failed", "payment.returned": "returned"}
PERIOD_STATUS = {"subsidy.due": "due", "subsidy.paid": "paid"}  # paid is final, whichever topic is read first
PROJECTED = {t.encode() for t in ("case.assessed", *CASE_STATUS, *PAYMENT_STATUS, *PERIOD_STATUS, "kit.handed_out",
                                   "kit.over_issued")}
FORWARD = {"waiting": 0, "instructed": 1, "settled": 2, "failed": 2, "returned": 3}  # a payment's status never goes back


@dataclass
class Projections:
    cases: dict[str, tuple[str, str, int]] = field(default_factory=dict)       # case id -> campaign, status, fen
    case_changed: dict[str, datetime] = field(default_factory=dict)            # case id -> when its status was set
    payments: dict[str, tuple[str, str]] = field(default_factory=dict)         # payment id -> campaign, status
    periods: dict[tuple[str, str], str] = field(default_factory=dict)          # (loan id, period end) -> status
    handouts: dict[str, str] = field(default_factory=dict)                     # handout id -> kept / over_issue
    registrations: dict[tuple[str, str], str] = field(default_factory=dict)    # (campaign, worker) -> site
    events: int = 0
    undecodable: int = 0  # poison the consumers set aside: counted, not projected


def project(records: list[Any], since: datetime | None, into: Projections) -> None:
    """Fold records (in partition order: one aggregate's events in the order it emitted them). A case's
    assessments (eligibility.assessments, read first) and its decisions (eligibility.cases) are on two
    topics: a status is taken from whichever of them happened last, so an appeal's new assessment, read
    before the rejection it follows, still decides."""
    for record in records:
        into.events += 1
        label = event_type_of(record)
        if label is not None and label not in PROJECTED:
            continue  # the relay labels every event: no need to parse what no projection reads
        try:
            body = from_json(record.value or b"{}")  # pydantic's parser: under half the time of json.loads
            at = datetime.fromisoformat(body.get("occurred_at", "9999-12-31T00:00:00+00:00"))
            kind, p = body.get("event_type"), body.get("payload", {})
            _fold(kind, p, at, since, into)
        except (ValueError, KeyError, TypeError, AttributeError):
            into.undecodable += 1


def _fold(kind: str | None, p: dict[str, Any], at: datetime, since: datetime | None, into: Projections) -> None:
    if since and at < since:
        return
    if kind == "case.assessed":
        case = into.cases.get(p["case_id"])
        status = "eligible" if p["eligible"] else "ineligible"
        if case is not None and at < into.case_changed[p["case_id"]]:
            status = case[1]
        else:
            into.case_changed[p["case_id"]] = at
        into.cases[p["case_id"]] = (p["campaign"], status, p["amount_fen"])
    elif kind in CASE_STATUS and p["case_id"] in into.cases:
        campaign, status, fen = into.cases[p["case_id"]]
        if at >= into.case_changed[p["case_id"]]:
            status = CASE_STATUS[kind]
            into.case_changed[p["case_id"]] = at
        into.cases[p["case_id"]] = (campaign, status, fen)
        if kind == "worker.registered":
            into.registrations[(p["campaign"], p["worker_ref"])] = p["site"]
    elif kind in PAYMENT_STATUS:
        status = PAYMENT_STATUS[kind]
        before = into.payments.get(p["payment_id"])
        if before is None or FORWARD[status] >= FORWARD[before[1]]:
            into.payments[p["payment_id"]] = (p["campaign"], status)
    elif kind in PERIOD_STATUS and into.periods.get((p["loan_id"], p["period_end"])) != "paid":
        into.periods[(p["loan_id"], p["period_end"])] = PERIOD_STATUS[kind]
    elif kind == "kit.handed_out":
        into.handouts.setdefault(p["handout_id"], "kept")
    elif kind == "kit.over_issued":
        into.handouts[p["handout_id"]] = "over_issue"


# (projection, scratch table columns, live query) compared both ways
COMPARISONS: tuple[tuple[str, str, str], ...] = (
    ("cases", "id text, campaign text, status text, amount_fen bigint",
     "SELECT case_id::text, campaign, status, amount_fen FROM eligibility.cases"),
    ("payments", "id text, campaign text, status text",
     "SELECT payment_id::text, campaign, status FROM disbursement.payments"),
    ("periods", "loan_id text, period_end text, status text",
     "SELECT loan_id::text, period_end::text, status FROM loans.periods WHERE status IN ('due', 'paid')"),
    ("handouts", "id text, status text", "SELECT handout_id::text, status FROM cooling.handouts"),
    ("registrations", "campaign text, worker_ref text, site text",
     "SELECT campaign, worker_ref, site FROM cooling.registrations"),
)


def rows_of(projections: Projections, name: str) -> list[tuple]:
    data = getattr(projections, name)
    return [(*(k if isinstance(k, tuple) else (k,)), *(v if isinstance(v, tuple) else (v,))) for k, v in data.items()]


@dataclass
class ReplayReport:
    events: int
    undecodable: int
    seconds: float
    compared: dict[str, int]
    differences: dict[str, list[str]]

    @property
    def clean(self) -> bool:
        return not any(self.differences.values())

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


async def replay(kafka: KafkaConnection, database_url: str, *, since: datetime | None = None,
                 progress: Callable[[str, int], None] = lambda topic, n: None,
                 total: Callable[[int], None] | None = None, shown: int = 50) -> ReplayReport:
    """`progress` is told each topic's records as they are folded; `total`, when given, the records on
    every topic beforehand (their offsets' span: at most what is read)."""
    started = time.monotonic()
    projections = Projections()
    if total is not None:
        total(await records_on(kafka, [t.value for t in Topic]))
    for topic in Topic:
        records = await read_all(kafka, topic.value)
        project(records, since, projections)
        progress(topic.value, len(records))
    read_seconds = time.monotonic() - started
    differences, compared = await compare(projections, database_url, limited=since is not None, shown=shown)
    return ReplayReport(events=projections.events, undecodable=projections.undecodable, seconds=read_seconds,
                        compared=compared, differences=differences)


async def compare(projections: Projections, database_url: str, *, limited: bool,
                  shown: int) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Both ways, in a scratch schema: rows the events imply that the tables lack (or state otherwise),
    and rows the tables hold that no event explains (not with `since`: the older rows' events are not read)."""
    scratch = f"audit_replay_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(database_url)
    differences: dict[str, list[str]] = {}
    compared: dict[str, int] = {}
    try:
        present = {r["nspname"] for r in await conn.fetch("SELECT nspname FROM pg_namespace")}
        await conn.execute(f"CREATE SCHEMA {scratch}")
        for name, columns, live in COMPARISONS:
            if live.split(" FROM ")[1].split(".")[0] not in present:
                continue
            rows = rows_of(projections, name)
            await conn.execute(f"CREATE TABLE {scratch}.{name} ({columns})")
            await conn.copy_records_to_table(name, schema_name=scratch, records=rows)
            compared[name] = len(rows)
            missing = await conn.fetch(f"SELECT * FROM {scratch}.{name} EXCEPT ({live}) LIMIT {shown}")
            unexplained = [] if limited else await conn.fetch(  # with `since`, older rows have no events read
                f"({live}) EXCEPT SELECT * FROM {scratch}.{name} LIMIT {shown}")
            differences[name] = [f"events say {tuple(r)}, the table does not" for r in missing] + \
                                [f"the table says {tuple(r)}, no event does" for r in unexplained]
    finally:
        await conn.execute(f"DROP SCHEMA IF EXISTS {scratch} CASCADE")
        await conn.close()
    return differences, compared
