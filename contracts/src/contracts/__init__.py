"""Siji's event contracts: one envelope, typed payloads per producing service, topics."""

from contracts import audit, cooling, disbursement, eligibility, loans, reconciliation  # noqa: F401 - importing registers every event for decode()
from contracts.envelope import Envelope, EventPayload, decode, encode, new_envelope

__all__ = ["Envelope", "EventPayload", "decode", "encode", "new_envelope"]
