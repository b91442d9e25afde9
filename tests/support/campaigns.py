"""Waiting on a campaign from the outside, as the fault tests do before they strike."""

import asyncio

import asyncpg


async def when_settled(database_url: str, campaign: str, at_least: int, *, timeout: float = 120) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        for _ in range(int(timeout * 20)):
            settled = await conn.fetchval(
                "SELECT count(*) FROM disbursement.payments WHERE campaign = $1 AND status = 'settled'", campaign)
            if settled >= at_least:
                return
            await asyncio.sleep(0.05)
    finally:
        await conn.close()
    raise AssertionError(f"{campaign}: fewer than {at_least} payments settled in {timeout}s")
