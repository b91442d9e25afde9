"""The partner bank's transfer API, as the bank simulator serves it. Submitting is idempotent per
instruction id (our payment id): a retry after a crash or a time-out never pays twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import httpx


class BankUnavailable(Exception):
    """No answer we can act on (time-out, 5xx): try again later with the same instruction id."""


@dataclass(frozen=True)
class BankOutcome:
    payment_id: UUID
    settled: bool
    at: datetime
    bank_reference: str = ""
    reason: str = ""


class BankClient:
    def __init__(self, base_url: str, *, timeout: float) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout,
                                       limits=httpx.Limits(max_connections=64, max_keepalive_connections=64))

    async def transfer(self, *, payment_id: UUID, amount_fen: int, payee_account: str, payee_name: str) -> BankOutcome:
        try:
            response = await self._http.post("/v1/transfers", json={
                "instruction_id": str(payment_id), "amount_fen": amount_fen,
                "payee_account": payee_account, "payee_name": payee_name,
            })
        except httpx.HTTPError as exc:
            raise BankUnavailable(f"bank unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise BankUnavailable(f"bank answered {response.status_code}")
        if response.status_code >= 400:  # the bank refuses this instruction for good: fail it, block no others
            return BankOutcome(payment_id=payment_id, settled=False, at=datetime.now(UTC),
                               reason=f"bank refused the instruction ({response.status_code}): {_detail(response)}")
        body = response.json()
        return BankOutcome(payment_id=payment_id, settled=body["status"] == "settled",
                           at=datetime.fromisoformat(body["processed_at"]),
                           bank_reference=body.get("bank_reference") or "", reason=body.get("reason") or "")

    async def aclose(self) -> None:
        await self._http.aclose()


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", ""))[:300]
    except ValueError:
        return response.text[:300]
