"""The infrastructure fails mid-campaign and comes back: PostgreSQL stopped and restarted, the only Kafka
broker stopped for 20 s, the bank down for 30 s or losing its answers. Every case is paid exactly once or
shown failed, nothing is lost, the books and the streams pass the audit."""

from pathlib import Path

import httpx

from siji_cli import faults
from support.campaigns import campaign_through


async def test_postgresql_restarted_mid_campaign(infra, deployment, api):
    postgres = infra.stack.postgres
    assert postgres is not None, "the local PostgreSQL (an external one is not ours to stop)"
    await campaign_through(infra, deployment, api, lambda: faults.postgres_restart(postgres, 5))


async def test_the_only_broker_stopped_for_20_seconds(infra, deployment, api):
    """...and no service spins meanwhile: the relay's producer, holding records for partitions with no
    leader, once asked for new metadata 4,000 times a second (a core, and 90,000 error lines)."""
    kafka = infra.stack.kafka
    assert kafka is not None, "the local broker (an external one is not ours to stop)"
    log = deployment.log_file("disbursement")
    before = failed_metadata_updates(log)
    await campaign_through(infra, deployment, api, lambda: faults.broker_outage(kafka, 20))
    assert failed_metadata_updates(log) - before < 5000  # 1,800 measured (three consumers and the producers)


def failed_metadata_updates(log: Path) -> int:
    with log.open("rb") as lines:
        return sum(b"Unable to update metadata" in line for line in lines)


async def test_the_bank_down_for_30_seconds_mid_campaign(infra, deployment, api):
    await campaign_through(infra, deployment, api, lambda: faults.bank_outage(deployment, 30), latency_ms=50)


async def test_the_bank_answering_batches_twice_pays_each_line_once(infra, deployment, api):
    """The bank's first answer to every batch is lost after it booked it (a 504): the dispatcher sends the
    same message again and the bank answers it a second time from its books, paying nothing twice."""
    async with httpx.AsyncClient() as http:
        before = (await http.get(f"{deployment.url('bank_sim')}/v1/stats")).json()

    async def lose_answers() -> None:
        await faults.bank_behaves(deployment, latency_ms=50, lost_answer_rate=1.0)

    await campaign_through(infra, deployment, api, lose_answers, latency_ms=50, strike_when_settled=0)
    async with httpx.AsyncClient() as http:
        after = (await http.get(f"{deployment.url('bank_sim')}/v1/stats")).json()
    assert after["repeated_messages"] > before["repeated_messages"], "batches were answered twice"
