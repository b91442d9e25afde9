"""Personal data: national ID validation (GB 11643), masking, encryption at rest, keyed look-up hashes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import unicodedata
from datetime import date

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from siji_shared.sealed import DEVELOPMENT_RING, EventKeys

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ID_PATTERN = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_ACCOUNT_PATTERN = re.compile(r"(?<![0-9])[0-9]{12,30}(?![0-9])")
_CARD_PATTERN = re.compile(r"(?<![0-9A-Za-z-])62[0-9]{14,17}(?![0-9])")


class InvalidNationalId(ValueError):
    pass


def national_id_check_digit(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def normalise_national_id(value: str) -> str:
    """An ID as people type it: full-width digits and Ｘ (NFKC), spaces anywhere (also U+3000), a lowercase x."""
    return "".join(unicodedata.normalize("NFKC", value).split()).upper()


def validate_national_id(value: str) -> str:
    """Return the ID normalised (upper-case X) or raise InvalidNationalId with the reason."""
    value = value.strip().upper()
    if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise InvalidNationalId("a national ID has 17 digits and a final digit or X")
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise InvalidNationalId("the birth date inside the national ID is not a date") from exc
    if national_id_check_digit(value[:17]) != value[17]:
        raise InvalidNationalId("the national ID's check digit is wrong (GB 11643)")
    return value


def mask_national_id(value: str) -> str:
    return f"{value[:3]}{'*' * (len(value) - 5)}{value[-2:]}"


def mask_name(value: str) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧***: enough for a caseworker to recognise, not to identify."""
    return f"{value[:1]}{'*' * max(len(value) - 1, 1)}"


def mask_account(value: str) -> str:
    return f"{'*' * (len(value) - 4)}{value[-4:]}"


def redact_text(text: str) -> str:
    text = _ID_PATTERN.sub(lambda m: mask_national_id(m.group(0)), text)
    return _ACCOUNT_PATTERN.sub(lambda m: mask_account(m.group(0)), text)


def personal_data_in(text: str) -> list[str]:
    """What in `text` looks like personal data in clear: a national ID with a valid check digit, or a bank
    card number (16 to 19 digits on a UnionPay 62 prefix), each shown masked. For scanning logs and files."""
    found = [mask_national_id(m.group(0)) for m in _ID_PATTERN.finditer(text)
             if national_id_check_digit(m.group(0)[:17]) == m.group(0)[17].upper()]
    return found + [mask_account(m.group(0)) for m in _CARD_PATTERN.finditer(text)]


class PiiVault:
    """Encrypts personal data for storage and derives keyed hashes to look it up without decrypting.

    AES-256-GCM (authenticated) with a random 96-bit nonce per value, the key derived by HKDF from the
    service's PII key; stored as a format byte, the nonce, then ciphertext and tag. Values that the first
    version wrote with Fernet still open. (Fernet took 12.5 µs to encrypt a bank account and 13 µs to
    decrypt it, AES-GCM 2 µs and 1 µs; a payment passes through four of these.)"""

    FORMAT = b"\x01"

    def __init__(self, secret: str, *, events: EventKeys | None = None) -> None:
        self.events = events or EventKeys(DEVELOPMENT_RING, 1)  # sealing personal data in events
        self._aead = AESGCM(_derive(secret, b"siji-pii-aes-gcm"))
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, b"siji-pii-encryption")))
        self._hash_key = _derive(secret, b"siji-pii-lookup")

    def encrypt(self, value: str) -> bytes:
        nonce = os.urandom(12)
        return self.FORMAT + nonce + self._aead.encrypt(nonce, value.encode(), None)

    def decrypt(self, token: bytes) -> str:
        if token[:1] == self.FORMAT:
            return self._aead.decrypt(token[1:13], token[13:], None).decode()
        return self._fernet.decrypt(token).decode()

    def lookup_hash(self, value: str) -> str:
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret.encode())
