"""Cooling's routes: the campaign and its sites, stock, the plan, shipments and deliveries, the stations'
hand-outs, returns, write-offs and the report. Writes take an Idempotency-Key, so a retry after a lost
answer does not ship or hand out twice."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import Field

from contracts.types import Code
from cooling import service
from cooling.bootstrap import Container
from cooling.service import CampaignIn, DeliveryIn, HandoutsIn, MoveIn, SiteIn, StockIn, WriteOffIn
from siji_shared.auth import Principal, Role, require
from siji_shared.http import idempotent

router = APIRouter()
Sites = Annotated[list[SiteIn], Field(min_length=1, max_length=service.MAX_BATCH)]
Staff = Depends(require(Role.CASEWORKER))
Readers = Depends(require(Role.CASEWORKER, Role.FINANCE, Role.AUDITOR, Role.ADMIN))
Key = Header(alias="Idempotency-Key", min_length=1, max_length=200)


@router.post("/campaigns", status_code=201)
async def create_campaign(body: CampaignIn, request: Request, c: Container, key: str = Key, who: Principal = Staff):
    return await idempotent(request, c.pool, who, key=key, body=body.model_dump(mode="json"), success_status=201,
                            effect=lambda conn: service.create_campaign(conn, who, body))


@router.post("/campaigns/{campaign}/sites")
async def add_sites(campaign: Code, body: Sites, request: Request, c: Container, key: str = Key,
                    who: Principal = Staff):
    """Worksites and stations (工会驿站), added or updated; headcounts come from the registrations."""
    return await idempotent(request, c.pool, who, key=key, body=[s.model_dump() for s in body], success_status=200,
                            effect=lambda conn: service.add_sites(conn, who, campaign, body))


@router.post("/campaigns/{campaign}/stock", status_code=201)
async def receive_stock(campaign: Code, body: StockIn, request: Request, c: Container, key: str = Key,
                        who: Principal = Staff):
    return await idempotent(request, c.pool, who, key=key, body=body.model_dump(), success_status=201,
                            effect=lambda conn: service.receive_stock(conn, who, campaign, body))


@router.post("/campaigns/{campaign}/plan")
async def replan(campaign: Code, c: Container, who: Principal = Staff):
    """Re-run the allocation of kits to sites with the stock there is now."""
    async with c.pool.acquire() as conn, conn.transaction():
        return (await service.replan(conn, who, campaign)).body


@router.post("/campaigns/{campaign}/shipments", status_code=201)
async def dispatch(campaign: Code, request: Request, c: Container, warehouse: Code = Query(...), key: str = Key,
                   who: Principal = Staff):
    """Ship the plan from a warehouse."""
    return await idempotent(request, c.pool, who, key=key, body={"warehouse": warehouse}, success_status=201,
                            effect=lambda conn: service.dispatch(conn, who, campaign, warehouse))


@router.post("/shipments/{shipment_id}/delivery")
async def confirm_delivery(shipment_id: UUID, body: DeliveryIn, request: Request, c: Container, key: str = Key,
                           who: Principal = Staff):
    return await idempotent(request, c.pool, who, key=key, body=body.model_dump(), success_status=200,
                            effect=lambda conn: service.confirm_delivery(conn, who, shipment_id, body))


@router.get("/campaigns/{campaign}/shipments")
async def in_transit(campaign: Code, c: Container, who: Principal = Readers):
    async with c.pool.acquire() as conn:
        rows = await service.repo.shipments_in_transit(conn, campaign)
    return {"in_transit": [{"shipment_id": str(r["shipment_id"]), "site": r["site"], "kits": r["kits"]} for r in rows]}


@router.post("/campaigns/{campaign}/handouts")
async def record_handouts(campaign: Code, body: HandoutsIn, request: Request, c: Container, key: str = Key,
                          who: Principal = Staff):
    """A station's hand-outs: answered per record (handed out, over-issue, refused with the reason,
    already recorded)."""
    return await idempotent(request, c.pool, who, key=key, body=body.model_dump(mode="json"), success_status=200,
                            effect=lambda conn: service.record_handouts(conn, c.vault, who, campaign, body))


@router.post("/campaigns/{campaign}/returns")
async def return_stock(campaign: Code, body: MoveIn, request: Request, c: Container, key: str = Key,
                       who: Principal = Staff):
    return await idempotent(request, c.pool, who, key=key, body=body.model_dump(), success_status=200,
                            effect=lambda conn: service.return_stock(conn, who, campaign, body))


@router.post("/campaigns/{campaign}/write-offs")
async def write_off(campaign: Code, body: WriteOffIn, request: Request, c: Container, key: str = Key,
                    who: Principal = Staff):
    return await idempotent(request, c.pool, who, key=key, body=body.model_dump(), success_status=200,
                            effect=lambda conn: service.write_off(conn, who, campaign, body))


@router.get("/campaigns/{campaign}/report")
async def report(campaign: Code, c: Container, who: Principal = Readers):
    async with c.pool.acquire() as conn:
        return await service.report(conn, campaign)
