"""The auditors' routes: the findings the watch has raised, and a case's trail from the event streams."""

from uuid import UUID

from fastapi import APIRouter, Depends, Query

from audit import trail, watch
from audit.bootstrap import Container
from contracts.topics import Topic
from siji_shared.auth import Principal, Role, require

router = APIRouter()
Auditors = Depends(require(Role.AUDITOR, Role.ADMIN))
# a case's streams, each of which the service's Kafka principal may read (siji_cli.infra.access grants it)
TRAIL_TOPICS = tuple(t.value for t in (Topic.ELIGIBILITY_ASSESSMENTS, Topic.ELIGIBILITY_CASES,
                                       Topic.DISBURSEMENT_PAYMENTS, Topic.LOANS_LOANS, Topic.LOANS_SUBSIDIES))


@router.get("/findings")
async def findings(c: Container, who: Principal = Auditors, campaign: str | None = None,
                   limit: int = Query(200, ge=1, le=5000)):
    async with c.pool.acquire() as conn:
        return {"findings": await watch.findings(conn, campaign=campaign, limit=limit)}


@router.get("/cases/{case_id}/trail")
async def case_trail(case_id: UUID, c: Container, who: Principal = Auditors):
    """The case's events in time order, personal data masked: its registration and assessments, decisions,
    appeals, payee corrections and payments (and a loan's subsidies), as `siji audit trail --case` shows."""
    story = await trail.trail(c.settings.kafka, case_id=str(case_id), topics=TRAIL_TOPICS)
    return {"case_id": str(case_id), "topics": list(TRAIL_TOPICS), "events": story.events,
            "undecodable": story.undecodable}
