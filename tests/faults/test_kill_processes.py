"""Processes die mid-campaign (kill -9) and come back: no payment is made twice and none is lost."""

import asyncio

import pytest

from audit.verify import verify
from siji_cli.campaign import CampaignRun
from support.campaigns import when_settled


async def kill_and_restart(deployment, name: str) -> None:
    assert await asyncio.to_thread(deployment.stop, name, kill=True), f"{name} was not running"
    await asyncio.to_thread(deployment.start, name)


@pytest.mark.parametrize("victim", ["disbursement", "eligibility", "bank_sim"])
async def test_a_service_killed_while_paying_pays_each_case_exactly_once(infra, deployment, api, victim):
    """Batches of 40 and a slow bank: the kill lands while a batch is at the bank, so the batch goes
    again under the same message id after the restart."""
    await api.set_bank(failure_rate=0.03, latency_ms=300)
    run = CampaignRun(deployment, recipients=300, show_progress=False, autumn_aid_share=0.0,
                      close_bank_day=False)
    campaign = asyncio.create_task(run.run(settle_timeout=180))
    await when_settled(infra.database_url, run.campaign, at_least=40)
    await kill_and_restart(deployment, victim)
    report = await campaign

    assert report["settled"] + report["failed"] == report["approved"] > 250
    assert report["budget_balanced"] and report["reconciliation"]["unmatched"] == 0
    audit = await verify(infra.kafka, infra.database_url, campaign=run.campaign)
    assert audit.clean, audit.violations[:5]
    totals = audit.streams.campaigns[run.campaign]
    assert (totals.settled, totals.failed, totals.awaiting_outcome) == (report["settled"], report["failed"], 0)
    assert totals.approved == report["approved"]


async def test_a_bank_outage_delays_payments_but_loses_none(infra, deployment, api):
    await api.set_bank(failure_rate=0.0, unavailable_rate=0.3, latency_ms=2)
    run = CampaignRun(deployment, recipients=100, show_progress=False, autumn_aid_share=0.0,
                      close_bank_day=False)
    report = await run.run(settle_timeout=180)
    assert report["failed"] == 0 and report["settled"] == report["approved"]
    audit = await verify(infra.kafka, infra.database_url, campaign=run.campaign)
    assert audit.clean, audit.violations[:5]
