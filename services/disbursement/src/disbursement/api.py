"""Finance HTTP routes: budgets and the payments of a campaign."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, HTTPException, Request

from disbursement import repository as repo
from disbursement import service
from disbursement.bootstrap import Container
from disbursement.service import BudgetIn, TopUpIn
from siji_shared.auth import Principal, Role, require
from siji_shared.http import idempotent

router = APIRouter()
finance_or_audit = require(Role.FINANCE, Role.AUDITOR)


@router.post("/budgets", status_code=201)
async def create_budget(body: BudgetIn, request: Request, c: Container,
                        key: str = Header(alias="Idempotency-Key", min_length=1, max_length=200),
                        who: Principal = Depends(require(Role.FINANCE))):
    return await idempotent(request, c.pool, who, key=key, body=body.model_dump(), success_status=201,
                            effect=lambda conn: service.create_budget(conn, who, body))


@router.post("/budgets/{campaign}/top-ups")
async def top_up_budget(campaign: str, body: TopUpIn, request: Request, c: Container,
                        key: str = Header(alias="Idempotency-Key", min_length=1, max_length=200),
                        who: Principal = Depends(require(Role.FINANCE))):
    """Add money to a budget; approvals waiting for it are paid in approval order as far as it goes."""
    return await idempotent(request, c.pool, who, key=key, body=body.model_dump(), success_status=200,
                            effect=lambda conn: service.top_up_budget(conn, who, campaign, body))


@router.get("/campaigns/{campaign}/queue")
async def budget_queue(campaign: str, c: Container, who: Principal = Depends(finance_or_audit)):
    """Approvals waiting for the budget, in the order they will be paid."""
    async with c.pool.acquire() as conn:
        await _budget_in_region(conn, campaign, who)
        waiting = await repo.waiting_of_campaign(conn, campaign)
    return {"campaign": campaign, "waiting": len(waiting), "waiting_fen": sum(w["amount_fen"] for w in waiting),
            "payments": waiting}


@router.get("/budgets/{campaign}")
async def show_budget(campaign: str, c: Container, who: Principal = Depends(finance_or_audit)):
    async with c.pool.acquire() as conn:
        return await _budget_in_region(conn, campaign, who)


@router.get("/campaigns/{campaign}/payments")
async def list_payments(campaign: str, c: Container, who: Principal = Depends(finance_or_audit)):
    async with c.pool.acquire() as conn:
        await _budget_in_region(conn, campaign, who)
        return {"campaign": campaign, "payments": await repo.payments_of_campaign(conn, campaign)}


async def _budget_in_region(conn, campaign: str, who: Principal) -> dict:
    view = await repo.budget_view(conn, campaign)
    if view is None:
        raise HTTPException(404, f"campaign {campaign} has no budget")
    who.ensure_region(view["region"])
    return view
