"""An open-loop load generator: requests arrive at a fixed rate whatever the answers do, and each
latency is counted from the request's scheduled start (so a stall is not hidden by waiting for it:
no coordinated omission). Bounded in count and time; the caller passes loopback URLs only.

It uses aiohttp, not httpx: on this 2-core machine httpx's client took a whole core at 200 requests/s
and so measured itself rather than the services (p50 13.8 s at 71 requests/s achieved)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from statistics import quantiles

import aiohttp


async def fixed_rate(request: Callable[[int], Awaitable[int]], rate_per_s: float,
                     seconds: float) -> dict[str, float | int]:
    total = int(rate_per_s * seconds)
    latencies: list[float] = []
    errors = 0
    started = time.perf_counter()

    async def one(i: int) -> None:
        nonlocal errors
        scheduled = started + i / rate_per_s
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        try:
            ok = await request(i) < 300  # the request answers its HTTP status
        except aiohttp.ClientError:
            ok = False
        latencies.append(time.perf_counter() - scheduled)
        errors += not ok

    await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(total))), timeout=seconds + 120)
    elapsed = time.perf_counter() - started
    cuts = quantiles(latencies, n=100, method="inclusive")
    return {"requests": total, "errors": errors, "p50_ms": round(cuts[49] * 1000, 1),
            "p99_ms": round(cuts[98] * 1000, 1), "max_ms": round(max(latencies) * 1000, 1),
            "achieved_rate": round(total / elapsed, 1)}
