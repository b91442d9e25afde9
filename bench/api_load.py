"""An open-loop load generator: request i is scheduled at start + i/rate whatever the earlier answers do,
and its latency is counted from that scheduled start, not from when it was actually sent, so a stalled
service (or a stalled generator) shows in the figures instead of quietly lowering the load (no
coordinated omission). Bounded: rate * seconds requests, then at most `grace_s` for the last answers;
the caller passes loopback URLs only.

The request callable gets the request's index and answers its response (httpx's `status_code`,
aiohttp's `status`) or the HTTP status itself. Non-2xx, exceptions and answers still missing at the
deadline are errors; the missing ones count with the latency they had reached (a lower bound).
On this 2-core machine httpx's client took a whole core at 200 requests/s (bench/run.py uses aiohttp):
`issue_lag_p99_ms`, how late requests left against their schedule, says whether the generator kept up."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx


def _status(answer: Any) -> int:
    if isinstance(answer, int):
        return answer
    return answer.status_code if isinstance(answer, httpx.Response) else answer.status


def _percentile(ordered: list[float], q: float) -> float:
    """Nearest rank, in ms."""
    return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000, 1) if ordered else 0.0


async def fixed_rate(requests: Callable[[int], Awaitable[httpx.Response | int]], rate_per_s: float, seconds: float,
                     *, grace_s: float = 30.0) -> dict[str, float | int]:
    total = int(rate_per_s * seconds)
    latencies: list[float] = []
    lags: list[float] = []
    errors = 0
    started = time.perf_counter()

    async def one(i: int, scheduled: float) -> None:
        nonlocal errors
        lags.append(time.perf_counter() - scheduled)
        try:
            ok = 200 <= _status(await requests(i)) < 300
        except Exception:  # any failure of a request is an error of the run, not of the generator
            ok = False
        latencies.append(time.perf_counter() - scheduled)
        errors += not ok

    pending: dict[asyncio.Task[None], float] = {}
    for i in range(total):  # arrivals on schedule; if the loop fell behind, the late ones leave at once
        scheduled = started + i / rate_per_s
        if (wait := scheduled - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        task = asyncio.create_task(one(i, scheduled))
        pending[task] = scheduled
        task.add_done_callback(pending.pop)
    issued = time.perf_counter() - started
    if pending:
        await asyncio.wait(list(pending), timeout=grace_s)
    deadline = time.perf_counter()
    for task, scheduled in list(pending.items()):  # never answered within the grace period
        if task.done():  # finished just now; its done-callback has not run yet
            continue
        task.cancel()
        latencies.append(deadline - scheduled)
        errors += 1
    await asyncio.gather(*pending, return_exceptions=True)
    latencies.sort()
    lags.sort()
    return {"requests": total, "errors": errors, "p50_ms": _percentile(latencies, 0.50),
            "p99_ms": _percentile(latencies, 0.99), "max_ms": _percentile(latencies, 1.0),
            "achieved_rate": round((total - 1) / issued, 1) if total > 1 and issued > 0 else float(total),
            "issue_lag_p99_ms": _percentile(lags, 0.99)}
