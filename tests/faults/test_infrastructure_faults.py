"""The infrastructure fails mid-campaign and comes back: PostgreSQL stopped and restarted, the only Kafka
broker stopped for 20 s. Every case is paid exactly once or shown failed, nothing is lost, the books and
the streams pass the audit."""

import asyncio

from audit.verify import verify
from siji_cli.campaign import CampaignRun
from support.campaigns import when_settled


async def campaign_through(infra, deployment, api, fault) -> None:
    await api.set_bank(failure_rate=0.03, latency_ms=200)
    run = CampaignRun(deployment, recipients=300, show_progress=False, autumn_aid_share=0.0, close_bank_day=False)
    campaign = asyncio.create_task(run.run(settle_timeout=240))
    await when_settled(infra.database_url, run.campaign, at_least=40)
    await fault()
    report = await campaign
    assert report["settled"] + report["failed"] == report["approved"] > 250
    assert report["budget_balanced"] and report["reconciliation"]["unmatched"] == 0
    audit = await verify(infra.kafka, infra.database_url, campaign=run.campaign)
    assert audit.clean, audit.violations[:5]
    assert audit.streams.campaigns[run.campaign].awaiting_outcome == 0


async def test_postgresql_restarted_mid_campaign(infra, deployment, api):
    postgres = infra.stack.postgres
    assert postgres is not None, "the local PostgreSQL (an external one is not ours to stop)"

    async def restart() -> None:
        await asyncio.to_thread(postgres.stop)
        await asyncio.sleep(5)
        await asyncio.to_thread(postgres.start)

    await campaign_through(infra, deployment, api, restart)


async def test_the_only_broker_stopped_for_20_seconds(infra, deployment, api):
    kafka = infra.stack.kafka
    assert kafka is not None, "the local broker (an external one is not ours to stop)"

    async def outage() -> None:
        await asyncio.to_thread(kafka.stop)
        await asyncio.sleep(20)
        await asyncio.to_thread(kafka.start)

    await campaign_through(infra, deployment, api, outage)
