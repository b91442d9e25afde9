"""Campaign-list (member cases or, for a registration programme, registrations), hardship-roster and
member-roster imports: the upload is spooled to a temporary file (never held in memory), read row by
row, validated, and taken in chunks of CHUNK rows, each chunk one set-based registration committed with
its counts, two chunks in flight on two connections. So a long import shows its progress (its record is
`running`, GET /imports/{id}), holds no transaction open for minutes, and its events flow while it runs.
Every row not taken is recorded with its row number and reason. The same file again finds the import's
record; one cut off (its process died) is taken up by the chunks that had not committed, and while one
runs, the same file is refused with its id."""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
from fastapi import HTTPException, Request
from uuid_utils.compat import uuid7

from eligibility import repository as repo
from eligibility import service
from eligibility.roster import (
    LABELS,
    CaseRow,
    HardshipRow,
    MemberRow,
    RegistrationRow,
    RosterKind,
    Row,
    RowError,
    iter_rows,
    write_error_report,
)
from eligibility.service import Applicant, ApplicationFacts, HardshipFileIn, MemberIn, NotFound, Registrant
from siji_shared import outbox
from siji_shared.auth import Principal
from siji_shared.db import together
from siji_shared.pii import PiiVault

CHUNK = 1000
LANES = 2  # chunks in flight, each on its own connection: the statements of one run while the next is read and assessed
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
SHOWN_ERRORS = 50
ALREADY_REGISTERED = "本活动已登记此人，未重复登记（already registered in this campaign; not registered again）"


@dataclass(frozen=True)
class Upload:
    path: Path
    sha256: str


@asynccontextmanager
async def spooled(request: Request) -> AsyncIterator[Upload]:
    """The request body in a temporary file, with its SHA-256; refused past MAX_UPLOAD_BYTES."""
    digest, size = hashlib.sha256(), 0
    with tempfile.NamedTemporaryFile(prefix="siji-import-") as spool:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise HTTPException(413, f"the file is larger than {MAX_UPLOAD_BYTES // 2**20} MB; split it")
            digest.update(chunk)
            spool.write(chunk)
        spool.flush()
        if size == 0:
            raise HTTPException(422, "the request body is empty: send the CSV or XLSX file as the body")
        yield Upload(Path(spool.name), digest.hexdigest())


class ImportRunning(Exception):
    """The same file is being imported by another request right now."""


@dataclass
class Tally:
    rows_read: int = 0
    rejected: int = 0
    accepted: int = 0
    eligible: int = 0
    ineligible: int = 0
    already_registered: int = 0
    eligible_fen: int = 0  # what the eligible cases were assessed at: what finance budgets for


@dataclass(frozen=True)
class CampaignList:
    """What a campaign list applies for; a hardship roster has none."""

    campaign: str
    programme: str
    year: int


async def import_roster(pool: asyncpg.Pool, vault: PiiVault, who: Principal, upload: Upload, *, filename: str,
                        applies_for: CampaignList | None = None,
                        kind: RosterKind = RosterKind.HARDSHIP_FILES) -> tuple[dict[str, Any], bool]:
    """A campaign list (`applies_for` given), a hardship roster or a member roster. A campaign list of a
    registration programme (summer cooling) is a registration roster. Returns the import's record and
    whether this call made it (False: the same file was imported before). Runs its own transactions, one
    per chunk (the first one also makes the import's record, so a file refused in its first chunk leaves
    none), on connections of its own; the first holds the import's lock meanwhile."""
    async with pool.acquire() as conn:
        if applies_for:
            kind = RosterKind.REGISTRATIONS if await service.is_registration_programme(
                conn, programme=applies_for.programme, region=who.region, year=applies_for.year) else RosterKind.CASES
        campaign = applies_for.campaign if applies_for else None
        found = await repo.find_import(conn, region=who.region, kind=kind.value, campaign=campaign,
                                       file_sha256=upload.sha256)
        if found and found["status"] != "running":
            return await _answer(conn, found), False
        import_id = found["import_id"] if found else uuid7()
        if not await repo.lock_import(conn, import_id):
            raise ImportRunning(_running(import_id))
        try:
            chunks = _Chunks(vault, who, kind=kind, applies_for=applies_for, import_id=import_id)
            record = await _take_rows(pool, conn, iter_rows(upload.path, kind), chunks,
                                      done=set(found["chunks_done"]) if found else None,
                                      new_record=dict(import_id=import_id, kind=kind.value, region=who.region,
                                                      campaign=campaign,
                                                      programme=applies_for.programme if applies_for else None,
                                                      year=applies_for.year if applies_for else None,
                                                      filename=filename, file_sha256=upload.sha256,
                                                      imported_by=who.user))
        finally:
            await repo.unlock_import(conn, import_id)
        return await _answer(conn, record), True


def _running(import_id: UUID) -> str:
    return (f"这个文件正在导入中，请稍后查看导入记录 {import_id}（this file is being imported now: follow it at "
            f"GET /imports/{import_id}）")


async def _take_rows(pool: asyncpg.Pool, conn: asyncpg.Connection, rows: Iterator[Row | RowError], chunks: _Chunks,
                     *, done: set[int] | None, new_record: dict[str, Any]) -> asyncpg.Record:
    """The chunks no earlier run committed (`done`: the offsets of those; None for a new import), each in
    its own transaction with its counts. A new import's record is made with its first chunk; the rest run
    in LANES at once, each lane on its own connection taking the next chunk as it ends one, so one chunk's
    statements run while the next is read and assessed."""
    pending = ((offset, chunk) for offset, chunk in _chunks(rows, CHUNK) if not done or offset not in done)
    if done is None:
        async with conn.transaction():
            await _start(conn, new_record)
            if first := next(pending, None):
                await chunks.take(conn, *first)
    async with AsyncExitStack() as stack:
        lanes = [conn] + [await stack.enter_async_context(pool.acquire()) for _ in range(LANES - 1)]
        await _in_lanes(lanes, pending, chunks.take)
    return await repo.finish_import(conn, new_record["import_id"])


async def _in_lanes(lanes: list[asyncpg.Connection], chunks: Iterator[tuple[int, list[Any]]],
                    take: Callable[[asyncpg.Connection, int, list[Any]], Awaitable[None]]) -> None:
    """Every chunk taken, each in its own transaction, by whichever lane is free; the first failure
    stops the others (their chunks roll back) and is raised as it is."""
    async def lane(conn: asyncpg.Connection) -> None:
        for offset, chunk in chunks:
            async with conn.transaction():
                await take(conn, offset, chunk)

    await together(*(lane(conn) for conn in lanes))


async def _start(conn: asyncpg.Connection, record: dict[str, Any]) -> None:
    if not await repo.insert_import(conn, **record):  # another request started the same file meanwhile
        other = await repo.find_import(conn, region=record["region"], kind=record["kind"], campaign=record["campaign"],
                                       file_sha256=record["file_sha256"])
        raise ImportRunning(_running(other["import_id"] if other else record["import_id"]))


@dataclass(frozen=True)
class _Chunks:
    """What every chunk of one import is taken with."""

    vault: PiiVault
    who: Principal
    kind: RosterKind
    applies_for: CampaignList | None
    import_id: UUID

    async def take(self, conn: asyncpg.Connection, offset: int, chunk: list[Row | RowError]) -> None:
        """A chunk's rows registered, graded or upserted, its bad rows recorded and its counts added to the
        import's, noting its place in the file (`offset`: the index of its first row)."""
        vault, who, applies_for, import_id = self.vault, self.who, self.applies_for, self.import_id
        errors = [(e.row_number, e.column, e.reason) for e in chunk if isinstance(e, RowError)]
        tally = Tally(rows_read=len(chunk), rejected=len(errors), accepted=len(chunk) - len(errors))
        if self.kind is RosterKind.REGISTRATIONS:
            assert applies_for is not None
            registrations = [r for r in chunk if isinstance(r, RegistrationRow)]
            errors += await _register_workers(conn, vault, who, registrations, tally, applies_for, import_id=import_id)
        elif applies_for:
            cases = [r for r in chunk if isinstance(r, CaseRow)]
            errors += await _register(conn, vault, who, cases, tally, applies_for, import_id=import_id)
        elif self.kind is RosterKind.HARDSHIP_FILES:
            errors += await _grade(conn, vault, who, [r for r in chunk if isinstance(r, HardshipRow)], tally)
        else:
            await service.upsert_members(conn, vault, who, [MemberIn(
                national_id=r.national_id, name=r.name, union_name=r.union_name, occupation=r.occupation,
                model_worker=r.model_worker, hardship_cadre=r.hardship_cadre, household_id=r.household_id)
                for r in chunk if isinstance(r, MemberRow)])
        await repo.insert_import_errors(conn, import_id=import_id, errors=errors)
        await repo.add_import_chunk(conn, import_id=import_id, offset=offset, **vars(tally))


async def _register(conn: asyncpg.Connection, vault: PiiVault, who: Principal, rows: list[CaseRow], tally: Tally,
                    applies_for: CampaignList, *, import_id: UUID) -> list[tuple[int, str, str]]:
    """Register a chunk's valid rows and stage their events; the rows of members already registered
    in the campaign come back as errors for the report."""
    if not rows:
        return []
    done = await service.register_cases(
        conn, vault, who, programme=applies_for.programme, campaign=applies_for.campaign, year=applies_for.year,
        import_id=import_id, applicants=[Applicant(
            national_id=r.national_id, payee_name=r.payee_name, payee_account=r.payee_account, row=r.row_number,
            facts=ApplicationFacts(school_level=r.school_level, admission_ref=r.admission_ref,
                                   out_of_pocket_fen=r.out_of_pocket_fen)) for r in rows])
    await outbox.stage(conn, done.events)
    return _count(done.body, tally)


async def _register_workers(conn: asyncpg.Connection, vault: PiiVault, who: Principal, rows: list[RegistrationRow],
                            tally: Tally, applies_for: CampaignList, *, import_id: UUID) -> list[tuple[int, str, str]]:
    """Register a chunk's valid rows of a registration roster and stage their events; the rows of workers
    already registered in the campaign come back as errors for the report."""
    if not rows:
        return []
    done = await service.register_workers(
        conn, vault, who, programme=applies_for.programme, campaign=applies_for.campaign, year=applies_for.year,
        import_id=import_id, registrants=[Registrant(
            national_id=r.national_id, name=r.name, occupation=r.occupation, site=r.site, channel=r.channel,
            row=r.row_number) for r in rows])
    await outbox.stage(conn, done.events)
    return _count(done.body, tally)


def _count(answers: list[dict[str, Any]], tally: Tally) -> list[tuple[int, str, str]]:
    """A chunk's registrations in the tally; the repeats as rows of the error report."""
    repeats = [a for a in answers if a["status"] == "already_registered"]
    tally.accepted -= len(repeats)
    tally.already_registered += len(repeats)
    tally.eligible += sum(a["status"] == "eligible" for a in answers)
    tally.ineligible += sum(a["status"] == "ineligible" for a in answers)
    tally.eligible_fen += sum(a["amount_fen"] for a in answers if a["status"] == "eligible")
    return [(a["row"], LABELS["national_id"], ALREADY_REGISTERED) for a in repeats]


async def _grade(conn: asyncpg.Connection, vault: PiiVault, who: Principal, rows: list[HardshipRow],
                 tally: Tally) -> list[tuple[int, str, str]]:
    """Grade a chunk's households and open or review their files; a household that grades as no
    hardship is a row of the error report, with the reason."""
    if not rows:
        return []
    done = await service.open_hardship_files(conn, vault, who, [HardshipFileIn(
        national_id=r.national_id, name=r.name, household_size=r.household_size,
        income_fen_per_month=r.income_fen_per_month, causes=r.causes, household_id=r.household_id) for r in rows])
    await outbox.stage(conn, done.events)
    refused = [(row.row_number, LABELS["income"], answer["reason"])
               for row, answer in zip(rows, done.body, strict=True) if answer["status"] == "refused"]
    tally.accepted -= len(refused)
    tally.rejected += len(refused)
    return refused


async def show(conn: asyncpg.Connection, who: Principal, import_id: UUID) -> dict[str, Any]:
    return await _answer(conn, await _import_in_region(conn, who, import_id))


async def error_report(conn: asyncpg.Connection, who: Principal, import_id: UUID) -> str:
    await _import_in_region(conn, who, import_id)
    out = io.StringIO()
    write_error_report((RowError(r["row_number"], r["column_name"], r["reason"])
                        for r in await repo.import_errors(conn, import_id, limit=None)), out)
    return out.getvalue()


async def _import_in_region(conn: asyncpg.Connection, who: Principal, import_id: UUID) -> asyncpg.Record:
    record = await repo.import_by_id(conn, import_id)
    if record is None:
        raise NotFound(f"no import {import_id}")
    service.ensure_region(who, record["region"])
    return record


async def _answer(conn: asyncpg.Connection, record: asyncpg.Record) -> dict[str, Any]:
    errors = await repo.import_errors(conn, record["import_id"], limit=SHOWN_ERRORS)
    answer = {k: (str(v) if isinstance(v, UUID) else v) for k, v in dict(record).items()
              if k not in ("file_sha256", "chunks_done")}
    answer["created_at"] = record["created_at"].isoformat()
    answer["errors_csv"] = f"/imports/{record['import_id']}/errors.csv"
    answer["first_errors"] = [{"row": e["row_number"], "column": e["column_name"], "reason": e["reason"]}
                              for e in errors]
    return answer


def _chunks(rows: Iterable[Row | RowError], size: int) -> Iterator[tuple[int, list[Any]]]:
    """The rows in chunks of `size`, each with its place in the file (the index of its first row)."""
    it = iter(rows)
    offset = 0
    while chunk := list(islice(it, size)):
        yield offset, chunk
        offset += len(chunk)

