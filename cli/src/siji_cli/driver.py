"""What every season driven through the HTTP APIs shares: tokens per user and role, requests that ride
out a service restart, and progress bars per stage with their timings."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from siji_cli.services import Deployment
from siji_shared.auth import Role, issue_token

RETRY_SECONDS = 60.0  # long enough to ride out a service restart


@dataclass
class ApiDriver:
    deployment: Deployment
    _: KW_ONLY
    region: str = "taicang"
    show_progress: bool = True
    stage_seconds: dict[str, float] = field(default_factory=dict)
    stage_counts: dict[str, int] = field(default_factory=dict)
    before_stage: Callable[[str], Awaitable[None]] | None = None
    http: httpx.AsyncClient = field(init=False)
    progress: Progress = field(init=False)

    def headers(self, user: str, role: Role, *, key: bool = False) -> dict[str, str]:
        token = issue_token(self.deployment.token_secret, user=user, role=role, region=self.region)
        return {"Authorization": f"Bearer {token}", **({"Idempotency-Key": str(uuid.uuid4())} if key else {})}

    def finance(self, *, key: bool = False) -> dict[str, str]:
        """The region's finance officer, who makes and tops up budgets and reads payments."""
        return self.headers(f"fin-{self.region}-01", Role.FINANCE, key=key)

    async def _post(self, url: str, headers: dict, body: dict | list | None = None, *,
                    content: Path | None = None) -> dict:
        """A retry after a lost answer reuses the Idempotency-Key (and an upload is its own key)."""
        return await self._request("POST", url, headers, json=body, content=content)

    async def _get(self, url: str, headers: dict, params: dict[str, Any] | None = None) -> dict:
        return await self._request("GET", url, headers, params=params)

    async def _request(self, method: str, url: str, headers: dict, *, content: Path | None = None,
                       **options: Any) -> dict:
        """Rides out a service restart: connection errors and 5xx are retried for RETRY_SECONDS."""
        deadline = time.monotonic() + RETRY_SECONDS
        attempt = 0
        while True:
            try:
                response = await self.http.request(method, url, headers=headers,
                                                   content=file_chunks(content) if content else None, **options)
                if response.status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{method} {url}: no answer within {RETRY_SECONDS} s")
            attempt += 1
            await asyncio.sleep(min(0.1 * 2 ** attempt, 2.0))
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {url} -> {response.status_code}: {response.text[:2000]}")
        return response.json()

    async def _stage(self, stage: str, count: int, work: Awaitable[Any]) -> Any:
        if self.before_stage:
            await self.before_stage(stage)
        task = self.progress.add_task(stage, total=count)
        started = time.monotonic()
        result = await work
        self.stage_seconds[stage] = time.monotonic() - started
        self.stage_counts[stage] = count
        self.progress.update(task, completed=count)
        return result

    def _progress(self) -> Progress:
        return Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        disable=not self.show_progress)



async def file_chunks(path: Path, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    with open(path, "rb") as source:
        while chunk := source.read(size):
            yield chunk
