"""The loans service's routes: policies (admins load, everyone who decides reads), the subsidy fund and
its waiting loans, one loan with its periods, and the reports per region and per enterprise."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from contracts.types import Code
from loans import service
from loans.bootstrap import Container
from loans.policy import parse
from siji_shared.auth import Principal, Role, require

router = APIRouter()
Admin = Depends(require(Role.ADMIN))
Readers = Depends(require(Role.FINANCE, Role.AUDITOR, Role.CASEWORKER, Role.APPROVER, Role.ADMIN))


@router.post("/policies", status_code=201)
async def load_policies(request: Request, c: Container, who: Principal = Admin) -> JSONResponse:
    """Load subsidy policy documents (a JSON list of {source, document}); all or none. A version loaded
    with the same content is `unchanged`; with other content, 409."""
    body = await request.json()
    if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
        raise HTTPException(422, "send a JSON list of {\"source\": file name, \"document\": subsidy policy}")
    documents = [(str(item.get("source", f"item {n}")), parse(item.get("document"), source=str(item.get("source"))))
                 for n, item in enumerate(body, start=1)]
    async with c.pool.acquire() as conn, conn.transaction():
        done = await service.load_policies(conn, documents, loaded_by=who.user)
    fresh = any(item["status"] == "loaded" for item in done.body)
    return JSONResponse({"policies": done.body}, status_code=201 if fresh else 200)


@router.get("/policies")
async def list_policies(c: Container, who: Principal = Readers):
    async with c.pool.acquire() as conn:
        return {"policies": await service.list_policies(conn)}


@router.get("/funds/{campaign}")
async def fund(campaign: Code, c: Container, who: Principal = Readers):
    """The subsidy fund: its total (disbursement's budget), what it reserves, owes and has paid, what is
    left, and the loans waiting for a top-up in order."""
    async with c.pool.acquire() as conn:
        return await service.fund_view(conn, campaign)


@router.get("/bank-feed")
async def bank_feed(c: Container, who: Principal = Readers):
    """How far the bank's loan event feed has been taken (its last sequence number)."""
    async with c.pool.acquire() as conn:
        return {"last_seq": await service.last_bank_seq(conn)}


@router.get("/loans/{loan_id}")
async def loan(loan_id: UUID, c: Container, who: Principal = Readers):
    async with c.pool.acquire() as conn:
        return await service.loan_view(conn, loan_id)


@router.get("/reports")
async def report(c: Container, who: Principal = Readers, region: Code | None = None, campaign: Code | None = None):
    """Per region and fund: loans, jobs created, principal, subsidy paid, owed and reserved, the fund left;
    and the periods by status."""
    async with c.pool.acquire() as conn:
        return await service.report(conn, region=region, campaign=campaign)


@router.get("/reports/enterprises")
async def enterprises(c: Container, who: Principal = Readers, region: Code | None = None,
                      limit: int = Query(100, ge=1, le=5000), offset: int = Query(0, ge=0)):
    """Per enterprise (by its credit code) in a region: loans, jobs created, subsidy paid and reserved."""
    async with c.pool.acquire() as conn:
        return {"enterprises": await service.enterprises(conn, region or who.region, limit=limit, offset=offset)}
