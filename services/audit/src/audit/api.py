"""The auditors' route: the findings the watch has raised."""

from fastapi import APIRouter, Depends, Query

from audit import watch
from audit.bootstrap import Container
from siji_shared.auth import Principal, Role, require

router = APIRouter()
Auditors = Depends(require(Role.AUDITOR, Role.ADMIN))


@router.get("/findings")
async def findings(c: Container, who: Principal = Auditors, campaign: str | None = None,
                   limit: int = Query(200, ge=1, le=5000)):
    async with c.pool.acquire() as conn:
        return {"findings": await watch.findings(conn, campaign=campaign, limit=limit)}
