"""Finance's routes: a day's reconciliation (JSON, CSV), a statement uploaded by hand, a day signed off."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from reconciliation import page, service
from reconciliation.bootstrap import Container
from siji_shared import outbox
from siji_shared.auth import Principal, Role, require
from siji_shared.http import idempotent

router = APIRouter()
Finance = Depends(require(Role.FINANCE))
Readers = Depends(require(Role.FINANCE, Role.AUDITOR))


class SignOffIn(BaseModel):
    reason: str = Field(min_length=1, max_length=1000, description="why the open mismatches may wait")


@router.get("/days/latest")
async def latest_day(c: Container, who: Principal = Readers):
    """The bank's latest business day that has a statement here."""
    async with c.pool.acquire() as conn:
        return await service.report(conn, None)


@router.get("/days/{day}")
async def day_report(day: date, c: Container, who: Principal = Readers):
    async with c.pool.acquire() as conn:
        return await service.report(conn, day)


@router.get("/days/{day}/page", response_class=HTMLResponse)
async def day_page(day: date, c: Container, who: Principal = Readers) -> HTMLResponse:
    """The day as a page: a chart of its flows per classification, the open mismatches, the recovery items."""
    async with c.pool.acquire() as conn:
        return HTMLResponse(page.render(await service.report(conn, day)))


@router.get("/days/{day}/items.csv")
async def day_export(day: date, c: Container, who: Principal = Readers) -> StreamingResponse:
    async with c.pool.acquire() as conn:
        text = await service.export_csv(conn, day)
    return StreamingResponse(iter([text]), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="reconciliation-{day.isoformat()}.csv"'})


@router.post("/statements", status_code=201)
async def upload_statement(request: Request, c: Container, who: Principal = Finance) -> JSONResponse:
    """A camt.053 as the body: taken once per business day (the same day again answers 200)."""
    document = await request.body()
    async with c.pool.acquire() as conn, conn.transaction():
        done = await service.take_statement(conn, document, source="upload", grace=c.settings.grace_business_days)
        await outbox.stage(conn, done.events)
    return JSONResponse(done.body, status_code=201 if done.body["taken"] else 200)


@router.post("/days/{day}/close")
async def sign_off(day: date, body: SignOffIn, request: Request, c: Container,
                   key: str = Header(alias="Idempotency-Key", min_length=1, max_length=200),
                   who: Principal = Finance):
    """Close a day that still has open mismatches: finance signs it off with a reason."""
    return await idempotent(request, c.pool, who, key=key, body=body.model_dump(), success_status=200,
                            effect=lambda conn: service.sign_off(conn, day, by=who.user, reason=body.reason))
