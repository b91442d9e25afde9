"""Processes die mid-campaign (kill -9) and come back: no payment is made twice and none is lost. Alone,
and with a second instance of every service beside the first, sharing the partitions and waiting to take
over the leader loops."""

import asyncio

import pytest

from siji_cli import faults
from siji_cli.services import SERVICES
from support.campaigns import campaign_through


@pytest.mark.parametrize("victim", ["disbursement", "eligibility", "bank_sim"])
async def test_a_service_killed_while_paying_pays_each_case_exactly_once(infra, deployment, api, victim):
    """Batches of 40 and a slow bank: the kill lands while a batch is at the bank, so the batch goes
    again under the same message id after the restart."""
    await campaign_through(infra, deployment, api, lambda: faults.kill_and_restart(deployment, victim),
                           latency_ms=300, settle_timeout=180)


async def test_two_instances_of_every_service_and_the_first_killed_mid_campaign(infra, deployment, api):
    """The first instances hold the leader loops (outbox relays, the dispatcher: they started first) and
    half the partitions; killed together, the second instances take both over for the ten seconds they
    are down, then the first come back as standbys."""
    doubled = [spec.name for spec in SERVICES if spec.uses_infra]
    for name in doubled:
        await asyncio.to_thread(deployment.start, name, instance=1)
    async def first_instances_killed() -> None:
        await asyncio.gather(*(faults.kill_and_restart(deployment, name, down_for=10)
                               for name in ("eligibility", "disbursement", "reconciliation")))

    try:
        await campaign_through(infra, deployment, api, first_instances_killed, latency_ms=300)
    finally:
        for name in doubled:
            await asyncio.to_thread(deployment.stop, name, instance=1)
    took_over = deployment.log_file("disbursement", 1).read_text()
    assert '"leader loop started"' in took_over and "siji-dispatcher:disbursement" in took_over, \
        "the second disbursement took over the dispatcher"
