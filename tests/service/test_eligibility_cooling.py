"""Summer cooling (夏送清凉), eligibility's part, on a real schema: a registration roster of a few hundred
frontline workers imported through the campaign-list route (bad rows reported by number), approved by
import with maker-checker and announced as WorkerRegisteredV1 (never CaseApprovedV1, which disbursement
pays), a repeat worker already_registered, the other decisions on a registration, and the kinds of rule
set kept apart."""

import asyncio
import csv
import io
import json
import time
import uuid

import httpx
import pytest
from fastapi import FastAPI

from contracts import decode
from contracts.eligibility import (
    CaseApprovedV1,
    CaseApprovedV2,
    CaseRegisteredV1,
    CaseRejectedV1,
    CaseWithdrawnV1,
    EligibilityAssessedV1,
    WorkerRegisteredV1,
)
from eligibility import imports, policies, service
from eligibility import repository as repo
from eligibility.api import router
from eligibility.domain import DecisionRefused
from eligibility.imports import ALREADY_REGISTERED
from eligibility.policy import parse, read_dir
from eligibility.roster import RosterUnreadable
from eligibility.service import AppealIn, Applicant, ApprovalsIn, Forbidden, NotFound, RejectionIn
from siji_cli.synthetic import members
from siji_shared.auth import Role, issue_token
from siji_shared.http import install_error_handlers
from support.service import principal

REGION = "fuzhou"
CAMPAIGN = "sc-fz-2026"
CW = principal("cw-fz-1", Role.CASEWORKER, region=REGION)
AP = principal("ap-fz-1", Role.APPROVER, region=REGION)
SHIPPED = {d.rule_set_id: d for _, d in read_dir()}
HEADER = ["序号", "姓名", "身份证号", "职业", "站点", "登记渠道"]
# (occupation as written, channel as written): every seventh is not served, every eleventh a construction
# worker registered at a station (the shipped documents let the stations serve every outdoor worker)
JOBS = [("环卫工人", "单位工会"), ("外卖骑手", "驿站"), ("快递员", "单位工会"), ("construction", ""), ("网约车司机", "station"),
        ("货车司机", "驿站"), ("园林绿化", "")]


def roster(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def worker_rows(people, *, start: int = 0) -> list[list[object]]:
    rows: list[list[object]] = []
    for i, person in enumerate(people, start=start):
        job, channel = JOBS[i % len(JOBS)]
        if i % 7 == 6:
            job = "办公室职员"                     # known, not served: ineligible
        elif i % 11 == 10:
            job, channel = "建筑工人", "驿站"     # employed, at a station: eligible as shipped
        rows.append([i + 1, person.name, person.national_id, job, f"fz-st-{i % 30:03d}", channel])
    return rows


def app_for(elig) -> FastAPI:
    app = FastAPI()
    app.include_router(router)
    install_error_handlers(app, {DecisionRefused: 409, NotFound: 404, Forbidden: 403, RosterUnreadable: 422})
    app.state.container = elig
    return app


def headers(elig, who) -> dict[str, str]:
    secret = elig.settings.token_secret.get_secret_value()
    return {"Authorization": f"Bearer {issue_token(secret, user=who.user, role=who.role, region=who.region)}",
            "Idempotency-Key": str(uuid.uuid4())}


async def upload(http, elig, body: bytes, *, programme="summer-cooling", campaign=CAMPAIGN, filename="cooling.csv"):
    return await http.post(f"/campaigns/{campaign}/imports", content=body, headers=headers(elig, CW),
                           params={"programme": programme, "year": 2026, "filename": filename})


async def in_tx(elig, work):
    async with elig.pool.acquire() as conn, conn.transaction():
        return await work(conn)


async def staged(elig) -> list:
    async with elig.pool.acquire() as conn:
        return [decode(bytes(r["body"])) for r in await conn.fetch("SELECT body FROM outbox ORDER BY id")]


async def test_a_roster_is_imported_reported_by_row_and_approved_as_worker_registrations(elig):
    people = members(300, region=REGION, seed=61)
    rows = worker_rows(people)
    bad = {
        12: [13, people[12].name, people[12].national_id[:17] + ("1" if people[12].national_id[17] != "1" else "2"),
             "快递员", "fz-st-001", "驿站"],                                         # check digit
        40: [41, people[40].name, people[40].national_id, "宇航员", "fz-st-001", ""],  # unknown occupation
        77: [78, people[77].name, people[77].national_id, "保安", "", ""],             # no site
        150: [151, people[150].name, people[150].national_id, "保安", "fz-st-001", "微信"],  # unknown channel
        299: [300, people[0].name, people[0].national_id, "环卫工人", "fz-st-000", ""],  # duplicate of the first
    }
    for index, row in bad.items():
        rows[index] = row
    expected_ineligible = {i for i in range(300) if i not in bad and i % 7 == 6}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(elig)), base_url="http://elig") as http:
        first = await upload(http, elig, roster(rows))
        assert first.status_code == 201, first.text
        record = first.json()
        again = await upload(http, elig, roster(rows))
        assert again.status_code == 200 and again.json()["import_id"] == record["import_id"], "the same file once"
        report = await http.get(record["errors_csv"], headers=headers(elig, CW))

    assert (record["kind"], record["programme"], record["campaign"], record["status"]) == (
        "registrations", "summer-cooling", CAMPAIGN, "completed_with_errors")
    assert (record["rows_read"], record["rejected"], record["accepted"]) == (300, 5, 295)
    assert (record["eligible"], record["ineligible"], record["already_registered"], record["eligible_fen"]) == (
        295 - len(expected_ineligible), len(expected_ineligible), 0, 0)
    errors = {e["row"]: e for e in record["first_errors"]}
    assert sorted(errors) == [14, 42, 79, 152, 301], "row numbers as the caseworker sees them (header is row 1)"
    assert [errors[n]["column"] for n in sorted(errors)] == ["身份证号", "职业", "站点", "登记渠道", "身份证号"]
    assert "校验位错误" in errors[14]["reason"] and "duplicate of row 2" in errors[301]["reason"]
    assert report.status_code == 200 and report.text.count("\n") == 6
    assert not any(p.national_id in json.dumps(record, ensure_ascii=False) for p in people), "no IDs echoed"

    import_id = uuid.UUID(record["import_id"])
    async with elig.pool.acquire() as conn:
        cases = {r["import_row"]: r for r in await conn.fetch("SELECT * FROM cases WHERE import_id = $1", import_id)}
        assert await conn.fetchval("SELECT count(*) FROM award_totals") == 0, "outside the yearly caps"
    assert len(cases) == 295
    courier = cases[4]  # people[2]: 快递员 through the employer's union
    assert courier["member_ref"] == elig.vault.lookup_hash(people[2].national_id)
    assert (courier["status"], courier["amount_fen"], courier["tier"], courier["household_ref"]) == (
        "eligible", 0, "occupation:courier", None)
    assert json.loads(courier["application"]) == {"registration": {"occupation": "courier", "site": "fz-st-002",
                                                                   "channel": "employer_union"}}
    assert elig.vault.decrypt(courier["payee_name_enc"]) == people[2].name
    assert elig.vault.decrypt(courier["payee_account_enc"]) == "", "no account: a kit is never paid"
    assert all(people[i].national_id.encode() not in b"".join(
        v if isinstance(v, bytes) else str(v).encode() for v in dict(cases[i + 2]).values()) for i in (0, 2, 5))
    office = cases[8]  # people[6]
    assert office["status"] == "ineligible" and "办公室职员" in json.loads(office["reasons"])[-1]["zh"]
    at_station = cases[12]  # people[10]: 建筑工人 at a station
    assert at_station["status"] == "eligible" and json.loads(at_station["application"])["registration"] == {
        "occupation": "construction", "site": "fz-st-010", "channel": "station"}

    events = await staged(elig)
    assert [type(e.payload) for e in events] == [CaseRegisteredV1, EligibilityAssessedV1] * 295
    assert {e.payload.amount_fen for e in events if isinstance(e.payload, EligibilityAssessedV1)} == {0}

    by_importer = await in_tx(elig, lambda conn: service.approve_cases(
        conn, elig.vault, principal(CW.user, Role.APPROVER, region=REGION), campaign=CAMPAIGN,
        selection=ApprovalsIn(import_id=import_id)))
    assert {a["status"] for a in by_importer.body} == {"refused"} and not by_importer.events, "maker-checker"

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(elig)), base_url="http://elig") as http:
        approved = await http.post(f"/campaigns/{CAMPAIGN}/approvals", json={"import_id": str(import_id)},
                                   headers=headers(elig, AP))
    assert approved.status_code == 200, approved.text
    answer = approved.json()
    assert (answer["approved"], answer["awaiting_second_approval"], answer["refused"]) == (
        295 - len(expected_ineligible), 0, 0), "one approver for a kit; ineligible ones are not in the selection"

    registered = [e.payload for e in (await staged(elig))[2 * 295:]]
    assert len(registered) == answer["approved"] and all(isinstance(p, WorkerRegisteredV1) for p in registered)
    assert not any(isinstance(e.payload, CaseApprovedV1 | CaseApprovedV2) for e in await staged(elig)), \
        "disbursement never pays a kit"
    worker = next(p for p in registered if p.case_id == courier["case_id"])
    assert (worker.worker_ref, worker.occupation, worker.site, worker.region, worker.year, worker.programme) == (
        elig.vault.lookup_hash(people[2].national_id), "courier", "fz-st-002", REGION, 2026, "summer-cooling")
    assert (worker.campaign, worker.approved_by, worker.rule_set_id, worker.rule_set_version) == (
        CAMPAIGN, (AP.user,), "summer-cooling/fuzhou/2026", 1)
    async with elig.pool.acquire() as conn:
        summary = await conn.fetchrow("SELECT count(*) FILTER (WHERE status = 'approved') AS approved, "
                                      "sum(amount_fen) AS fen FROM cases")
    assert (summary["approved"], summary["fen"]) == (answer["approved"], 0)


async def test_a_worker_already_registered_in_the_campaign_is_not_registered_again(elig):
    people = members(6, region=REGION, seed=62)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(elig)), base_url="http://elig") as http:
        first = (await upload(http, elig, roster(worker_rows(people[:4])))).json()
        second = await upload(http, elig, roster(worker_rows(people[2:], start=2)), filename="more.csv")
        elsewhere = await upload(http, elig, roster(worker_rows(people[:1])), campaign="sc-fz-2027")
    assert second.status_code == 201, second.text
    record = second.json()
    assert (record["rows_read"], record["accepted"], record["already_registered"], record["rejected"]) == (4, 2, 2, 0)
    assert [(e["row"], e["column"], e["reason"]) for e in record["first_errors"]] == [
        (2, "身份证号", ALREADY_REGISTERED), (3, "身份证号", ALREADY_REGISTERED)]
    assert ALREADY_REGISTERED.startswith("本活动已登记此人")
    assert first["accepted"] == 4 and elsewhere.json()["accepted"] == 1, "another campaign is another registration"
    async with elig.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM cases WHERE campaign = $1", CAMPAIGN) == 6

    again = await in_tx(elig, lambda conn: service.register_workers(
        conn, elig.vault, CW, programme="summer-cooling", campaign=CAMPAIGN, year=2026, registrants=[
            service.Registrant(people[0].national_id, people[0].name, service.Occupation.COURIER, "fz-st-9",
                               service.Channel.STATION)]))
    assert again.body[0]["status"] == "already_registered" and not again.events


async def test_rejection_withdrawal_and_appeal_of_a_registration_leave_the_caps_alone(elig):
    people = members(3, region=REGION, seed=63)
    done = await in_tx(elig, lambda conn: service.register_workers(
        conn, elig.vault, CW, programme="summer-cooling", campaign=CAMPAIGN, year=2026, registrants=[
            service.Registrant(people[0].national_id, people[0].name, service.Occupation.SANITATION, "fz-st-1",
                               service.Channel.EMPLOYER_UNION, row=2),
            service.Registrant(people[1].national_id, people[1].name, service.Occupation.RETAIL, "fz-st-1",
                               service.Channel.EMPLOYER_UNION, row=3),
            service.Registrant(people[2].national_id, people[2].name, service.Occupation.COURIER, "fz-st-2",
                               service.Channel.STATION, row=4)]))
    assert [a["status"] for a in done.body] == ["eligible", "ineligible", "eligible"]
    sanitation, retail, courier = (uuid.UUID(a["case_id"]) for a in done.body)

    rejected = await in_tx(elig, lambda conn: service.reject_case(conn, AP, sanitation,
                                                                  RejectionIn(reason="works indoors now")))
    assert isinstance(rejected.events[0].payload, CaseRejectedV1)
    withdrawn = await in_tx(elig, lambda conn: service.withdraw_case(conn, CW, retail,
                                                                     RejectionIn(reason="registered by mistake")))
    assert isinstance(withdrawn.events[0].payload, CaseWithdrawnV1)
    appealed = await in_tx(elig, lambda conn: service.appeal_case(conn, elig.vault, CW, sanitation,
                                                                  AppealIn(grounds="back on the street crew")))
    assert (appealed.body["status"], appealed.body["amount_fen"], appealed.body["excluded_approvers"]) == (
        "eligible", 0, [AP.user])
    assert [type(e.payload) for e in appealed.events][1] is EligibilityAssessedV1
    refused = await in_tx(elig, lambda conn: service.approve_cases(conn, elig.vault, AP, campaign=CAMPAIGN,
                                                                   selection=ApprovalsIn(case_ids=[sanitation])))
    assert refused.body[0]["status"] == "refused" and "before its appeal" in refused.body[0]["reason"]
    other = principal("ap-fz-2", Role.APPROVER, region=REGION)
    final = await in_tx(elig, lambda conn: service.approve_cases(
        conn, elig.vault, other, campaign=CAMPAIGN, selection=ApprovalsIn(case_ids=[sanitation, courier])))
    assert [type(e.payload) for e in final.events] == [WorkerRegisteredV1] * 2
    async with elig.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM award_totals") == 0
        shown = await service.show_case(conn, elig.vault, CW, courier)
        with pytest.raises(DecisionRefused, match="only a payment the bank returned"):
            await service.correct_payee(conn, elig.vault, CW, courier,
                                        service.PayeeIn(payee_name="x", payee_account="622202020000000001"))
    assert (shown["status"], shown["amount_fen"], shown["payee_account"]) == ("approved", 0, "")
    assert shown["assessment"]["application"]["registration"]["site"] == "fz-st-2"


async def test_a_registration_programme_and_the_other_kinds_are_never_mixed_up(elig):
    person = members(1, region=REGION, seed=64)[0]
    with pytest.raises(NotFound, match="summer-cooling is a registration programme, not a case programme: import its registration roster"):
        await in_tx(elig, lambda conn: service.register_cases(
            conn, elig.vault, CW, programme="summer-cooling", campaign=CAMPAIGN, year=2026,
            applicants=[Applicant(person.national_id, person.name, person.account)]))
    with pytest.raises(NotFound, match="summer-cooling is a registration programme, not a loan programme"):
        await in_tx(elig, lambda conn: service.register_loans(conn, elig.vault, CW, programme="summer-cooling",
                                                              campaign=CAMPAIGN, year=2026, applicants=[]))
    for programme, message in (("winter-warmth", "winter-warmth is a case programme, not a registration programme"),
                               ("loan-subsidy", "loan-subsidy is a loan programme, not a registration programme"),
                               ("summer-cooling-2", "no summer-cooling-2 registration programme")):
        with pytest.raises(NotFound, match=message):
            await in_tx(elig, lambda conn, p=programme: service.register_workers(
                conn, elig.vault, CW, programme=p, campaign=CAMPAIGN, year=2026, registrants=[]))
    async with elig.pool.acquire() as conn:
        assert await service.is_registration_programme(conn, programme="summer-cooling", region=REGION, year=2026)
        assert not await service.is_registration_programme(conn, programme="winter-warmth", region=REGION, year=2026)
        assert not await service.is_registration_programme(conn, programme="summer-cooling", region=REGION,
                                                           year=2025)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(elig)), base_url="http://elig") as http:
        as_cases = await upload(http, elig, roster(worker_rows([person])), programme="winter-warmth")
    assert as_cases.status_code == 422 and "银行账号" in as_cases.text, "a winter list needs accounts"

    cooling, winter = SHIPPED["summer-cooling/fuzhou/2026"], SHIPPED["winter-warmth/fuzhou/2026"]
    disguised = parse({**winter.model_dump(mode="json"), "programme": "summer-cooling", "version": 2,
                       "rule_set_id": "summer-cooling/fuzhou/2026"})
    with pytest.raises(policies.VersionConflict, match="is a registration-programme rule set; a programme document"):
        await in_tx(elig, lambda conn: policies.load(conn, [("disguised.json", disguised)], loaded_by="admin"))
    v2 = parse({**cooling.model_dump(mode="json"), "version": 2, "employed_channels": ["employer_union"]})
    assert (await in_tx(elig, lambda conn: policies.load(conn, [("v2.json", v2)], loaded_by="admin")))[0].status == \
        "loaded"
    done = await in_tx(elig, lambda conn: service.register_workers(
        conn, elig.vault, CW, programme="summer-cooling", campaign=CAMPAIGN, year=2026, registrants=[
            service.Registrant(person.national_id, person.name, service.Occupation.CONSTRUCTION, "fz-st-1",
                               service.Channel.STATION)]))
    assert (done.body[0]["status"], done.body[0]["rule_set"]) == ("ineligible", {"id": "summer-cooling/fuzhou/2026",
                                                                                 "version": 2})
    assert done.body[0]["reasons"][-1].startswith("建筑工人属于单位职工，须通过单位工会登记，不能通过工会驿站登记")


async def test_a_city_roster_of_37000_workers_imports_in_seconds(elig, tmp_path):
    people = members(37_000, region=REGION, seed=65)
    path = tmp_path / "fuzhou-cooling.csv"
    path.write_bytes(roster(worker_rows(people)))
    upload = imports.Upload(path, uuid.uuid4().hex)
    started = time.perf_counter()
    record, fresh = await imports.import_roster(
        elig.pool, elig.vault, CW, upload, filename=path.name,
        applies_for=imports.CampaignList(campaign=CAMPAIGN, programme="summer-cooling", year=2026))
    seconds = time.perf_counter() - started
    assert fresh and (record["rows_read"], record["accepted"], record["rejected"]) == (37_000, 37_000, 0)
    print(f"37,000 registrations imported in {seconds:.1f} s")
    assert seconds < 30, f"{seconds:.1f} s"


async def test_an_import_cut_off_is_refused_while_it_runs_and_taken_up_by_the_chunks_that_did_not_commit(
        elig, tmp_path, monkeypatch):
    path = tmp_path / "cut-off.csv"
    path.write_bytes(roster(worker_rows(members(2_500, region=REGION, seed=66))))
    upload = imports.Upload(path, uuid.uuid4().hex)
    applies_for = imports.CampaignList(campaign="sc-cut-2026", programme="summer-cooling", year=2026)

    async def run() -> tuple[dict, bool]:
        return await imports.import_roster(elig.pool, elig.vault, CW, upload, filename=path.name,
                                           applies_for=applies_for)

    take = imports._Chunks.take

    async def the_second_chunk_dies_after_the_third_committed(self, conn, offset, chunk):
        if offset != 1000:
            return await take(self, conn, offset, chunk)
        async with elig.pool.acquire() as watcher:  # the lanes commit in either order
            while not await watcher.fetchval("SELECT 2000 = ANY(chunks_done) FROM imports WHERE import_id = $1",
                                             self.import_id):
                await asyncio.sleep(0.02)
        raise ConnectionResetError("the process died")

    monkeypatch.setattr(imports._Chunks, "take", the_second_chunk_dies_after_the_third_committed)
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(run(), 60)
    monkeypatch.setattr(imports._Chunks, "take", take)
    async with elig.pool.acquire() as conn:
        cut = await conn.fetchrow("SELECT * FROM imports WHERE file_sha256 = $1", upload.sha256)
        assert (cut["status"], cut["rows_read"], cut["accepted"]) == ("running", 1_500, 1_500)  # the first and third
        assert sorted(cut["chunks_done"]) == [0, 2000]
        assert await conn.fetchval("SELECT count(*) FROM cases WHERE import_id = $1", cut["import_id"]) == 1_500

    async with elig.pool.acquire() as holder:  # as while the import's own request is still at it
        assert await repo.lock_import(holder, cut["import_id"])
        with pytest.raises(imports.ImportRunning, match=str(cut["import_id"])):
            await run()
        await repo.unlock_import(holder, cut["import_id"])

    record, fresh = await run()
    assert fresh and record["import_id"] == str(cut["import_id"]) and record["status"] == "completed"
    assert (record["rows_read"], record["accepted"], record["already_registered"]) == (2_500, 2_500, 0)
    async with elig.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM cases WHERE import_id = $1", cut["import_id"]) == 2_500
        assert await conn.fetchval("SELECT count(*) FROM import_errors WHERE import_id = $1", cut["import_id"]) == 0
    again, fresh = await run()
    assert not fresh and again["rows_read"] == 2_500


async def test_two_rosters_of_the_same_workers_imported_at_once_register_each_worker_once(elig, tmp_path):
    people = members(3_000, region=REGION, seed=67)
    applies_for = imports.CampaignList(campaign="sc-race-2026", programme="summer-cooling", year=2026)
    uploads = []
    for start in (0, 1):  # two files (their sites differ) listing the same workers in the same order
        path = tmp_path / f"roster-{start}.csv"
        path.write_bytes(roster(worker_rows(people, start=start)))
        uploads.append(imports.Upload(path, uuid.uuid4().hex))

    records = await asyncio.gather(*(imports.import_roster(elig.pool, elig.vault, CW, upload, filename="x.csv",
                                                           applies_for=applies_for) for upload in uploads))

    assert sum(r["accepted"] for r, _ in records) == 3_000
    assert sum(r["already_registered"] for r, _ in records) == 3_000
    async with elig.pool.acquire() as conn:
        cases = await conn.fetch("SELECT member_ref, count(*) AS n FROM cases WHERE campaign = $1 GROUP BY 1",
                                 applies_for.campaign)
    assert len(cases) == 3_000 and all(c["n"] == 1 for c in cases)
