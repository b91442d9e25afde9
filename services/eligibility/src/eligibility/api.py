"""Caseworker HTTP routes. Each write is one transaction: state, events (outbox) and Idempotency-Key.
Bulk routes (campaign-list imports, batch approval) run the same use cases as the single-case ones."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from contracts.types import Code
from eligibility import imports, policies, service
from eligibility import repository as repo
from eligibility.bootstrap import Container
from eligibility.policy import parse
from eligibility.service import (
    AppealIn,
    Applicant,
    ApplicationFacts,
    ApprovalsIn,
    CaseIn,
    CaseSearchIn,
    HardshipFileIn,
    LoanApplicationsIn,
    MemberIn,
    PayeeIn,
    RejectionIn,
    RejectionsIn,
)
from siji_shared.auth import Principal, Role, current_principal, require
from siji_shared.http import idempotent
from siji_shared.usecase import Done

router = APIRouter()
IdempotencyKey = Header(alias="Idempotency-Key", min_length=1, max_length=200)
Caseworker = Depends(require(Role.CASEWORKER))
Approver = Depends(require(Role.APPROVER))
Anyone = Depends(current_principal)
Admin = Depends(require(Role.ADMIN))
Auditors = Depends(require(Role.ADMIN, Role.AUDITOR))


@router.post("/members", status_code=201)
async def register_member(body: MemberIn, request: Request, c: Container, key: str = IdempotencyKey,
                          who: Principal = Caseworker):
    member = body.model_copy(update={"national_id": service.national_id(body.national_id)})

    async def effect(conn):
        done = await service.upsert_members(conn, c.vault, who, [member])
        return Done(done.body[0], done.events)

    return await idempotent(request, c.pool, who, key=key, body=body.model_dump(mode="json"), success_status=201,
                            effect=effect)


@router.post("/hardship-files", status_code=201)
async def open_hardship_file(body: HardshipFileIn, request: Request, c: Container, key: str = IdempotencyKey,
                             who: Principal = Caseworker):
    file = body.model_copy(update={"national_id": service.national_id(body.national_id)})

    async def effect(conn):
        return service.single_answer(await service.open_hardship_files(conn, c.vault, who, [file]))

    return await idempotent(request, c.pool, who, key=key, body=body.model_dump(mode="json"), success_status=201,
                            effect=effect)


@router.post("/cases", status_code=201)
async def register_case(body: CaseIn, request: Request, c: Container, key: str = IdempotencyKey,
                        who: Principal = Caseworker):
    applicant = Applicant(national_id=service.national_id(body.national_id), payee_name=body.payee_name,
                          payee_account=body.payee_account,
                          facts=ApplicationFacts(school_level=body.school_level, admission_ref=body.admission_ref,
                                                 out_of_pocket_fen=body.out_of_pocket_fen))

    async def effect(conn):
        return service.single_answer(await service.register_cases(
            conn, c.vault, who, programme=body.programme, campaign=body.campaign, year=body.year,
            applicants=[applicant]))

    return await idempotent(request, c.pool, who, key=key, body=body.model_dump(mode="json"), success_status=201,
                            effect=effect)


@router.post("/loan-applications", status_code=201)
async def register_loan_applications(body: LoanApplicationsIn, request: Request, c: Container,
                                     key: str = IdempotencyKey, who: Principal = Caseworker) -> Response:
    """Interest-subsidised loan applications (贴息贷款), up to 5,000 in one request, registered and assessed
    under the loan programme in force in the caller's region. Any invalid application (its index in
    the list, from 0, named with the reason) refuses the request with 422 and registers nothing. The
    answer says what happened to each: eligible (the approved principal and term, cut to the caps),
    ineligible (why), or already_registered in the campaign. Approval is the usual maker-checker."""
    try:
        applicants = service.loan_applicants(body.applications)
    except service.ApplicationsInvalid as exc:
        return JSONResponse({"detail": "invalid loan applications", "errors": exc.errors}, status_code=422)

    async def effect(conn):
        done = await service.register_loans(conn, c.vault, who, programme=body.programme, campaign=body.campaign,
                                            year=body.year, applicants=applicants)
        counts = {status: sum(a["status"] == status for a in done.body)
                  for status in ("eligible", "ineligible", "already_registered")}
        return Done({"programme": body.programme, "campaign": body.campaign, "year": body.year, "region": who.region,
                     **counts, "applications": done.body}, done.events)

    return await idempotent(request, c.pool, who, key=key, body=body.model_dump(mode="json"), success_status=201,
                            effect=effect)


@router.post("/cases/{case_id}/approve")
async def approve_case(case_id: UUID, request: Request, c: Container, key: str = IdempotencyKey,
                       who: Principal = Approver):
    async def effect(conn):
        return service.single_answer(await service.approve_cases(
            conn, c.vault, who, campaign=None, selection=ApprovalsIn(case_ids=[case_id])))

    return await idempotent(request, c.pool, who, key=key, body=None, success_status=200, effect=effect)


@router.post("/campaigns/{campaign}/approvals")
async def approve_selection(campaign: Code, body: ApprovalsIn, request: Request, c: Container,
                            key: str = IdempotencyKey, who: Principal = Approver):
    """Approve a reviewed selection in one request; the answer says what happened to each case."""

    async def effect(conn):
        done = await service.approve_cases(conn, c.vault, who, campaign=campaign, selection=body)
        counts = {status: sum(a["status"] == status for a in done.body)
                  for status in ("approved", "awaiting_second_approval", "refused")}
        return Done({"campaign": campaign, **counts, "cases": done.body}, done.events)

    return await idempotent(request, c.pool, who, key=key, body=body.model_dump(mode="json"), success_status=200,
                            effect=effect)


@router.post("/cases/{case_id}/reject")
async def reject_case(case_id: UUID, body: RejectionIn, request: Request, c: Container, key: str = IdempotencyKey,
                      who: Principal = Approver):
    return await idempotent(request, c.pool, who, key=key, body=body.model_dump(), success_status=200,
                            effect=lambda conn: service.reject_case(conn, who, case_id, body))


@router.post("/campaigns/{campaign}/rejections")
async def reject_selection(campaign: Code, body: RejectionsIn, request: Request, c: Container,
                           key: str = IdempotencyKey, who: Principal = Approver):
    """Turn a reviewed selection down for one reason in one request; the answer says what happened to each."""

    async def effect(conn):
        done = await service.reject_cases(conn, who, campaign=campaign, case_ids=body.case_ids, reason=body.reason)
        counts = {status: sum(a["status"] == status for a in done.body) for status in ("rejected", "refused")}
        return Done({"campaign": campaign, **counts, "cases": done.body}, done.events)

    return await idempotent(request, c.pool, who, key=key, body=body.model_dump(mode="json"), success_status=200,
                            effect=effect)


@router.post("/cases/{case_id}/withdraw")
async def withdraw_case(case_id: UUID, body: RejectionIn, request: Request, c: Container, key: str = IdempotencyKey,
                        who: Principal = Caseworker):
    return await idempotent(request, c.pool, who, key=key, body=body.model_dump(), success_status=200,
                            effect=lambda conn: service.withdraw_case(conn, who, case_id, body))


@router.post("/cases/{case_id}/payee")
async def correct_payee(case_id: UUID, body: PayeeIn, request: Request, c: Container, key: str = IdempotencyKey,
                        who: Principal = Caseworker):
    """After the bank returned the payment: the corrected account, and the entitlement is paid again once."""
    return await idempotent(request, c.pool, who, key=key, body=body.model_dump(), success_status=200,
                            effect=lambda conn: service.correct_payee(conn, c.vault, who, case_id, body))


@router.post("/cases/{case_id}/appeals")
async def appeal_case(case_id: UUID, body: AppealIn, request: Request, c: Container, key: str = IdempotencyKey,
                      who: Principal = Caseworker):
    """An appeal (申诉): the case is re-assessed, and decided again by a different approver."""
    return await idempotent(request, c.pool, who, key=key, body=body.model_dump(), success_status=200,
                            effect=lambda conn: service.appeal_case(conn, c.vault, who, case_id, body))


@router.get("/cases")
async def approval_queue(c: Container, who: Principal = Anyone, campaign: Code | None = None,
                         status: str | None = Query(None, pattern="^(eligible|ineligible|approved|rejected|withdrawn)$"),
                         programme: Code | None = None, import_id: UUID | None = None, after: UUID | None = None,
                         limit: int = Query(100, ge=1, le=1000)):
    """The caller's region's cases, filtered, a page at a time: pass the last case id as `after`."""
    async with c.pool.acquire() as conn:
        cases = await repo.queue(conn, region=who.region, campaign=campaign, status=status, programme=programme,
                                 import_id=import_id, after=after, limit=limit)
    return {"cases": cases, "next_after": str(cases[-1]["case_id"]) if len(cases) == limit else None}


@router.post("/cases/search")
async def search_cases(body: CaseSearchIn, c: Container, who: Principal = Anyone):
    """The queue searched for one case by its id, or for one member's cases by national ID (422 when the
    text is neither), in the caller's region; the same answer as GET /cases. A read sent as a POST so
    that a national ID travels in the body, never in a URL (access logs, traces, browser history)."""
    case_id, member_ref = service.queue_search(c.vault, body.q)
    async with c.pool.acquire() as conn:
        cases = await repo.queue(conn, region=who.region, campaign=None, status=None, programme=None,
                                 import_id=None, after=None, limit=body.limit, case_id=case_id, member_ref=member_ref)
    return {"cases": cases, "next_after": None}


@router.get("/cases/{case_id}")
async def show_case(case_id: UUID, c: Container, who: Principal = Anyone):
    async with c.pool.acquire() as conn:
        return await service.show_case(conn, c.vault, who, case_id)


@router.get("/campaigns/{campaign}/summary")
async def campaign_summary(campaign: str, c: Container, who: Principal = Anyone):
    """The campaign's cases in the caller's own region."""
    async with c.pool.acquire() as conn:
        summary = await repo.campaign_summary(conn, campaign=campaign, region=who.region)
    return {"campaign": campaign, "region": who.region, **summary}


@router.post("/campaigns/{campaign}/imports", status_code=201)
async def import_campaign_list(campaign: Code, request: Request, c: Container, programme: Code,
                               year: int = Query(ge=2000, le=2100), filename: str = Query("roster", max_length=200),
                               who: Principal = Caseworker) -> JSONResponse:
    """A campaign list (花名册) as the request body, CSV or XLSX. When the programme's rule set is a
    registration programme (summer cooling, 夏送清凉), it is a registration roster (姓名, 身份证号, 职业, 站点,
    登记渠道) and each valid row a registration for help in kind. The file itself is the idempotency key:
    the same file again answers 200 with the first import's record and registers nothing."""
    async with imports.spooled(request) as upload:
        record, fresh = await imports.import_roster(
            c.pool, c.vault, who, upload, filename=filename,
            applies_for=imports.CampaignList(campaign=campaign, programme=programme, year=year))
    return JSONResponse(record, status_code=201 if fresh else 200)


@router.post("/hardship-files/imports", status_code=201)
async def import_hardship_roster(request: Request, c: Container, filename: str = Query("roster", max_length=200),
                                 who: Principal = Caseworker) -> JSONResponse:
    """A roster of hardship members (建档困难职工) for the caller's region, CSV or XLSX, as for campaign lists."""
    async with imports.spooled(request) as upload:
        record, fresh = await imports.import_roster(c.pool, c.vault, who, upload, filename=filename)
    return JSONResponse(record, status_code=201 if fresh else 200)


@router.get("/imports/{import_id}")
async def show_import(import_id: UUID, c: Container, who: Principal = Anyone):
    async with c.pool.acquire() as conn:
        return await imports.show(conn, who, import_id)


@router.get("/imports/{import_id}/errors.csv")
async def import_error_report(import_id: UUID, c: Container, who: Principal = Anyone) -> StreamingResponse:
    """Every row that was not taken, with its row number, column and reason; opens right in Excel."""
    async with c.pool.acquire() as conn:
        report = await imports.error_report(conn, who, import_id)
    return StreamingResponse(iter([report]), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="import-{import_id}-errors.csv"'})


@router.post("/members/imports", status_code=201)
async def import_member_roster(request: Request, c: Container, filename: str = Query("roster", max_length=200),
                               who: Principal = Caseworker) -> JSONResponse:
    """A roster of union members (会员花名册) for the caller's region, CSV or XLSX, as for campaign lists."""
    async with imports.spooled(request) as upload:
        record, fresh = await imports.import_roster(c.pool, c.vault, who, upload, filename=filename,
                                                    kind=imports.RosterKind.MEMBERS)
    return JSONResponse(record, status_code=201 if fresh else 200)


@router.post("/policies", status_code=201)
async def load_policies(request: Request, c: Container, who: Principal = Admin) -> JSONResponse:
    """Load rule set documents (a JSON list of {source, document}); all or none. A version already
    loaded with the same content is `unchanged`; with other content, 409."""
    body = await request.json()
    if not isinstance(body, list):
        raise HTTPException(422, "send a JSON list of {\"source\": file name, \"document\": rule set}")
    documents = [(str(item.get("source", f"item {n}")), parse(item.get("document"), source=str(item.get("source"))))
                 for n, item in enumerate(body, start=1) if isinstance(item, dict)]
    async with c.pool.acquire() as conn, conn.transaction():
        loaded = await policies.load(conn, documents, loaded_by=who.user)
    fresh = any(item.status == "loaded" for item in loaded)
    return JSONResponse({"rule_sets": [item.as_json() for item in loaded]}, status_code=201 if fresh else 200)


@router.get("/policies")
async def list_policies(c: Container, who: Principal = Auditors, programme: Code | None = None,
                        region: Code | None = None, year: int | None = None):
    """Every loaded version, filtered."""
    async with c.pool.acquire() as conn:
        return {"rule_sets": await policies.versions(conn, programme=programme, region=region, year=year)}


@router.get("/policies/version")
async def show_policy(c: Container, rule_set_id: str, version: int = Query(ge=1), who: Principal = Auditors):
    async with c.pool.acquire() as conn:
        found = await policies.version(conn, rule_set_id, version)
    if found is None:
        raise HTTPException(404, f"no rule set {rule_set_id} v{version}")
    return found


@router.get("/policies/diff")
async def diff_policies(c: Container, rule_set_id: str, from_version: int = Query(ge=1, alias="from"),
                        to_version: int = Query(ge=1, alias="to"), who: Principal = Auditors):
    """What changed between two versions of a rule set, leaf by leaf."""
    async with c.pool.acquire() as conn:
        found = await policies.compare(conn, rule_set_id, from_version, to_version)
    if found is None:
        raise HTTPException(404, f"{rule_set_id} has no version {from_version} or {to_version}")
    return found
