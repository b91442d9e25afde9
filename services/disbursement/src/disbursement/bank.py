"""The partner bank's batch payment API, as the bank simulator serves it: one pain.001 per batch in,
one pain.002 with a status per line back. Sending is idempotent per message id: a retry after a crash
or a time-out sends the same message and gets the first answer, so nothing is paid twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import httpx

from siji_shared.iso20022 import MessageInvalid, PaymentBatch, StatusReport, build_pain001, parse_pain002


class BankUnavailable(Exception):
    """No answer we can act on (time-out, 5xx, a garbled report): send the same message again later."""


class BankRefused(Exception):
    """The bank refuses the message itself (4xx): a fault on our side to look into, not to retry blindly."""


@dataclass(frozen=True)
class BankOutcome:
    """What became of one payment at the bank."""

    payment_id: UUID
    settled: bool
    at: datetime
    bank_reference: str = ""
    reason: str = ""


class BankClient:
    def __init__(self, base_url: str, *, timeout: float) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout)

    async def send_batch(self, batch: PaymentBatch) -> StatusReport:
        try:
            response = await self._http.post("/v1/payment-batches", content=build_pain001(batch),
                                             headers={"Content-Type": "application/xml"})
        except httpx.HTTPError as exc:
            raise BankUnavailable(f"bank unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise BankUnavailable(f"bank answered {response.status_code}")
        if response.status_code >= 400:
            raise BankRefused(f"bank refused message {batch.message_id} ({response.status_code}): "
                              f"{_detail(response)}")
        try:
            report = parse_pain002(response.content)
        except MessageInvalid as exc:
            raise BankUnavailable(f"the bank's report cannot be read: {exc}") from exc
        if report.original_message_id != batch.message_id:
            raise BankUnavailable(f"the bank answered message {report.original_message_id}, not {batch.message_id}")
        return report

    async def aclose(self) -> None:
        await self._http.aclose()


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", ""))[:300]
    except ValueError:
        return response.text[:300]
