"""A campaign through a fault, and what every fault test asserts of it: each approved case settled or
failed exactly once, nothing unmatched at the bank or still awaiting an outcome, the budget balanced, and
the audit clean over the streams and the books."""

import asyncio
from collections.abc import Awaitable, Callable

from audit.verify import verify
from siji_cli import faults
from siji_cli.campaign import CampaignRun
from siji_shared.kafka import KafkaConnection


async def campaign_through(infra, deployment, api, fault: Callable[[], Awaitable[None]], *, latency_ms: int = 200,
                           settle_timeout: float = 240, strike_when_settled: int = 40) -> dict:
    """300 recipients paid in batches at a slow bank; `fault` strikes once 40 payments are settled (0: at once)."""
    await api.set_bank(failure_rate=0.03, latency_ms=latency_ms)
    run = CampaignRun(deployment, recipients=300, show_progress=False, autumn_aid_share=0.0, close_bank_day=False)
    campaign = asyncio.create_task(run.run(settle_timeout=settle_timeout))
    if strike_when_settled:
        await faults.when_settled(infra.database_url, run.campaign, at_least=strike_when_settled)
    await fault()
    report = await campaign
    await assert_paid_once(infra.kafka, infra.database_url, report)
    return report


async def assert_paid_once(kafka: KafkaConnection, database_url: str, report: dict):
    """Returns the audit's totals for the campaign, for a test's own further checks."""
    assert report["settled"] + report["failed"] == report["approved"] > 250
    assert report["budget_balanced"] and report["reconciliation"]["unmatched"] == 0
    audit = await verify(kafka, database_url, campaign=report["campaign"])
    assert audit.clean, audit.violations[:5]
    totals = audit.streams.campaigns[report["campaign"]]
    assert (totals.approved, totals.settled, totals.failed, totals.awaiting_outcome) == \
        (report["approved"], report["settled"], report["failed"], 0)
    return totals
