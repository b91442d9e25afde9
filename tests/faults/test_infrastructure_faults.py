"""The infrastructure fails mid-campaign and comes back: PostgreSQL stopped and restarted, the only Kafka
broker stopped for 20 s, the bank down for 30 s or losing its answers. Every case is paid exactly once or
shown failed, nothing is lost, the books and the streams pass the audit."""

import asyncio
from collections.abc import Awaitable, Callable

import httpx

from audit.verify import verify
from siji_cli import faults
from siji_cli.campaign import CampaignRun


async def campaign_through(infra, deployment, api, fault: Callable[[], Awaitable[None]], *,
                           latency_ms: int = 200) -> dict:
    await api.set_bank(failure_rate=0.03, latency_ms=latency_ms)
    run = CampaignRun(deployment, recipients=300, show_progress=False, autumn_aid_share=0.0, close_bank_day=False)
    campaign = asyncio.create_task(run.run(settle_timeout=240))
    await faults.when_settled(infra.database_url, run.campaign, at_least=40)
    await fault()
    report = await campaign
    assert report["settled"] + report["failed"] == report["approved"] > 250
    assert report["budget_balanced"] and report["reconciliation"]["unmatched"] == 0
    audit = await verify(infra.kafka, infra.database_url, campaign=run.campaign)
    assert audit.clean, audit.violations[:5]
    totals = audit.streams.campaigns[run.campaign]
    assert (totals.approved, totals.settled, totals.awaiting_outcome) == (report["approved"], report["settled"], 0)
    return report


async def test_postgresql_restarted_mid_campaign(infra, deployment, api):
    postgres = infra.stack.postgres
    assert postgres is not None, "the local PostgreSQL (an external one is not ours to stop)"
    await campaign_through(infra, deployment, api, lambda: faults.postgres_restart(postgres, 5))


async def test_the_only_broker_stopped_for_20_seconds(infra, deployment, api):
    kafka = infra.stack.kafka
    assert kafka is not None, "the local broker (an external one is not ours to stop)"
    await campaign_through(infra, deployment, api, lambda: faults.broker_outage(kafka, 20))


async def test_the_bank_down_for_30_seconds_mid_campaign(infra, deployment, api):
    await campaign_through(infra, deployment, api, lambda: faults.bank_outage(deployment, 30), latency_ms=50)


async def test_the_bank_answering_batches_twice_pays_each_line_once(infra, deployment, api):
    """Half the bank's answers are lost after it booked the batch (a 504): the dispatcher sends the same
    message again and the bank answers it a second time from its books, paying nothing twice."""
    async with httpx.AsyncClient() as http:
        before = (await http.get(f"{deployment.url('bank_sim')}/v1/stats")).json()

    async def lose_answers() -> None:
        await faults.bank_behaves(deployment, latency_ms=50, lost_answer_rate=0.5)

    await campaign_through(infra, deployment, api, lose_answers, latency_ms=50)
    async with httpx.AsyncClient() as http:
        after = (await http.get(f"{deployment.url('bank_sim')}/v1/stats")).json()
    assert after["repeated_messages"] > before["repeated_messages"], "batches were answered twice"
