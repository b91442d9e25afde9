"""Caseworker HTTP routes. Each write is one transaction: state, events (outbox) and Idempotency-Key."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request

from eligibility import repository as repo
from eligibility import service
from eligibility.service import CaseIn, HardshipFileIn, RejectionIn
from siji_shared.auth import Principal, Role, current_principal, require
from siji_shared.http import idempotent

router = APIRouter()
IdempotencyKey = Header(alias="Idempotency-Key", min_length=1, max_length=200)


def _runtime(request: Request):
    return request.app.state.runtime


@router.post("/hardship-files", status_code=201)
async def open_hardship_file(body: HardshipFileIn, request: Request, key: str = IdempotencyKey,
                             who: Principal = Depends(require(Role.CASEWORKER))):
    vault = request.app.state.vault
    return await idempotent(_runtime(request).pool, who, key=key, request=["file", body.model_dump(mode="json")],
                            success_status=201,
                            effect=lambda conn: service.open_hardship_file(conn, vault, who, body))


@router.post("/cases", status_code=201)
async def register_case(body: CaseIn, request: Request, key: str = IdempotencyKey,
                        who: Principal = Depends(require(Role.CASEWORKER))):
    vault = request.app.state.vault
    return await idempotent(_runtime(request).pool, who, key=key, request=["case", body.model_dump(mode="json")],
                            success_status=201,
                            effect=lambda conn: service.register_case(conn, vault, who, body))


@router.post("/cases/{case_id}/approve")
async def approve_case(case_id: UUID, request: Request, key: str = IdempotencyKey,
                       who: Principal = Depends(require(Role.APPROVER))):
    vault = request.app.state.vault
    return await idempotent(_runtime(request).pool, who, key=key, request=["approve", str(case_id)],
                            success_status=200, effect=lambda conn: service.approve_case(conn, vault, who, case_id))


@router.post("/cases/{case_id}/reject")
async def reject_case(case_id: UUID, body: RejectionIn, request: Request, key: str = IdempotencyKey,
                      who: Principal = Depends(require(Role.APPROVER))):
    return await idempotent(_runtime(request).pool, who, key=key,
                            request=["reject", str(case_id), body.model_dump()], success_status=200,
                            effect=lambda conn: service.reject_case(conn, who, case_id, body))


@router.get("/cases/{case_id}")
async def show_case(case_id: UUID, request: Request, who: Principal = Depends(current_principal)):
    async with _runtime(request).pool.acquire() as conn:
        return await service.show_case(conn, request.app.state.vault, who, case_id)


@router.get("/campaigns/{campaign}/summary")
async def campaign_summary(campaign: str, request: Request, who: Principal = Depends(current_principal)):
    """The campaign's cases in the caller's own region."""
    async with _runtime(request).pool.acquire() as conn:
        summary = await repo.campaign_summary(conn, campaign=campaign, region=who.region)
    return {"campaign": campaign, "region": who.region, **summary}


@router.get("/health")
async def health() -> dict:
    return {"status": "ok"}
