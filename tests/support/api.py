"""The caseworker APIs as tests call them, with tokens per role."""

from __future__ import annotations

import uuid

import httpx

from siji_cli import faults
from siji_cli.services import Deployment
from siji_shared.auth import Role, issue_token


class Api:
    def __init__(self, deployment: Deployment, *, region: str = "taicang") -> None:
        self.deployment = deployment
        self.region = region
        self.http = httpx.AsyncClient(timeout=30.0)

    def auth(self, user: str, role: Role, region: str | None = None) -> dict[str, str]:
        token = issue_token(self.deployment.token_secret, user=user, role=role, region=region or self.region)
        return {"Authorization": f"Bearer {token}"}

    async def post(self, service: str, path: str, body: dict | None, *, user: str, role: Role,
                   key: str | None = "new", region: str | None = None) -> httpx.Response:
        headers = self.auth(user, role, region)
        if key:
            headers["Idempotency-Key"] = str(uuid.uuid4()) if key == "new" else key
        return await self.http.post(f"{self.deployment.url(service)}{path}", json=body, headers=headers)

    async def get(self, service: str, path: str, *, user: str = "auditor-1", role: Role = Role.AUDITOR,
                  region: str | None = None) -> httpx.Response:
        return await self.http.get(f"{self.deployment.url(service)}{path}", headers=self.auth(user, role, region))

    async def set_bank(self, *, failure_rate: float = 0.03, unavailable_rate: float = 0.0, latency_ms: int = 2,
                       **misbehaviour: float) -> None:
        """The bank's behaviour; `misbehaviour` sets return_rate, duplicate_rate, late_rate (else 0)."""
        await faults.bank_behaves(self.deployment, failure_rate=failure_rate, unavailable_rate=unavailable_rate,
                                  latency_ms=latency_ms, **misbehaviour)

    async def close_bank_days(self, days: int) -> list[str]:
        response = await self.http.post(f"{self.deployment.url('bank_sim')}/admin/business-date/advance",
                                        json={"days": days})
        response.raise_for_status()
        return response.json()["closed"]

    async def aclose(self) -> None:
        await self.http.aclose()
