"""The faults the test matrix (tests/faults, tests/containers) and `make soak` strike a running deployment
with, and how they wait for a campaign to be under way first. Each fault returns once what it took away
is back: the process restarted, the broker or the database up again, the bank answering as before."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import httpx

from siji_cli.infra.containers import PostgresContainer
from siji_cli.infra.kafka import KafkaCluster, KafkaNode
from siji_cli.infra.postgres import LocalPostgres
from siji_cli.services import Deployment

NORMAL_BANK = {"failure_rate": 0.03, "unavailable_rate": 0.0, "latency_ms": 2}


async def when_settled(database_url: str, campaign: str, at_least: int, *, timeout: float = 120) -> None:
    """Until `at_least` of the campaign's payments are settled: the campaign is mid-flight."""
    deadline = time.monotonic() + timeout
    conn = await asyncpg.connect(database_url)
    try:
        while await conn.fetchval("SELECT count(*) FROM disbursement.payments WHERE campaign = $1 "
                                  "AND status = 'settled'", campaign) < at_least:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{campaign}: fewer than {at_least} payments settled in {timeout:.0f} s")
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


async def kill_and_restart(deployment: Deployment, name: str, *, instance: int = 0, down_for: float = 0.0) -> None:
    """kill -9 one instance of a service, leave it down for `down_for` seconds, start it again."""
    if not await asyncio.to_thread(deployment.stop, name, instance=instance, kill=True):
        raise RuntimeError(f"{name} (instance {instance}) was not running")
    await asyncio.sleep(down_for)
    await asyncio.to_thread(deployment.start, name, instance=instance)


async def broker_outage(kafka: KafkaCluster, seconds: float) -> None:
    """Every broker stopped for `seconds`, then started again."""
    await asyncio.to_thread(kafka.stop)
    await asyncio.sleep(seconds)
    await asyncio.to_thread(kafka.start)


async def broker_lost(kafka: KafkaCluster, node: KafkaNode, seconds: float) -> None:
    """One broker of several killed (kill -9) for `seconds`, then brought back on its own data."""
    await asyncio.to_thread(kafka.stop_node, node, kill=True)
    await asyncio.sleep(seconds)
    await asyncio.to_thread(kafka.start_node, node)


async def postgres_restart(postgres: LocalPostgres | PostgresContainer, pause: float) -> None:
    """PostgreSQL stopped (every connection dropped), down for `pause` seconds, started again."""
    await asyncio.to_thread(postgres.stop)
    await asyncio.sleep(pause)
    await asyncio.to_thread(postgres.start)


async def bank_behaves(deployment: Deployment, **behaviour: Any) -> None:
    """The bank simulator's behaviour (failure_rate, unavailable_rate, latency_ms, lost_answer_rate, ...)."""
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.put(f"{deployment.url('bank_sim')}/admin/behaviour", json={**NORMAL_BANK, **behaviour})
        response.raise_for_status()


async def bank_outage(deployment: Deployment, seconds: float) -> None:
    """The bank answers 503 to every batch for `seconds`, then as it normally does."""
    await bank_behaves(deployment, unavailable_rate=1.0)
    await asyncio.sleep(seconds)
    await bank_behaves(deployment)
