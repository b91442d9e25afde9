"""Personal data that must travel in an event (a payee's name and account on an approval), sealed field
by field for the service that needs it, so no topic, backup or auditor's replay holds it in clear.

AES-256-GCM with a random 96-bit nonce, the key derived (HKDF-SHA256) from the key ring's secret of a
version and the recipient's name, the recipient's name also bound as associated data: a value sealed for
disbursement opens only for disbursement. Written `sealed:v<version>:<base64url>`, so keys rotate by
version: new values are sealed under the current version, older ones still open while their version is
in the ring."""

from __future__ import annotations

import base64
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

DEVELOPMENT_RING = {1: "siji-local-development-event-key-change-me"}
_SEALED = re.compile(r"^sealed:v([0-9]+):([A-Za-z0-9_-]+)$")


class SealBroken(ValueError):
    """A sealed value that does not open: another recipient's, a version not in the ring, or tampered."""


class EventKeys:
    def __init__(self, ring: dict[int, str], current: int) -> None:
        if current not in ring:
            raise ValueError(f"the current event key version {current} is not in the key ring")
        self._ring, self._current = ring, current
        self._keys: dict[tuple[int, str], AESGCM] = {}

    def _aead(self, version: int, recipient: str) -> AESGCM:
        if (version, recipient) not in self._keys:
            if version not in self._ring:
                raise SealBroken(f"event key version {version} is not in this service's key ring")
            self._keys[(version, recipient)] = AESGCM(HKDF(
                algorithm=hashes.SHA256(), length=32, salt=None,
                info=f"siji-event-pii:{recipient}".encode()).derive(self._ring[version].encode()))
        return self._keys[(version, recipient)]

    def seal(self, value: str, *, recipient: str) -> str:
        nonce = os.urandom(12)
        sealed = nonce + self._aead(self._current, recipient).encrypt(nonce, value.encode(), recipient.encode())
        return f"sealed:v{self._current}:{base64.urlsafe_b64encode(sealed).decode().rstrip('=')}"

    def open(self, token: str, *, recipient: str) -> str:
        match = _SEALED.match(token)
        if not match:
            raise SealBroken("not a sealed value")
        raw = base64.urlsafe_b64decode(match.group(2) + "=" * (-len(match.group(2)) % 4))
        try:
            return self._aead(int(match.group(1)), recipient).decrypt(raw[:12], raw[12:], recipient.encode()).decode()
        except InvalidTag as exc:
            raise SealBroken(f"a sealed value that does not open for {recipient}") from exc


def opened(payload: object, keys: EventKeys, *, recipient: str, field: str) -> str:
    """A personal field of an event as the recipient reads it: `<field>_sealed` opened, or, in an event of
    a version from before sealing, the field in clear."""
    sealed = getattr(payload, f"{field}_sealed", None)
    return keys.open(sealed, recipient=recipient) if sealed else str(getattr(payload, field))
