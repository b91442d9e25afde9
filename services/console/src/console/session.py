"""Who is signed in: the bearer token the user pasted, kept in an HttpOnly cookie. The console reads the
token's claims without verifying its signature, only to decide what to show; every API it calls verifies
the token itself and refuses what the role or region may not do."""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass
from typing import Any

from fastapi import Request

COOKIE = "siji_token"
ROLES = ("caseworker", "approver", "finance", "auditor", "admin")


class InvalidToken(ValueError):
    pass


class SignInRequired(Exception):
    """No token, or an expired one: the page asks to sign in, then comes back."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    region: str
    token: str
    expires_at: float | None = None


def claims_of(token: str) -> dict[str, Any]:
    """A JWT's payload, unverified."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("not a JWT (header.payload.signature)")
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidToken("the token's payload is not readable") from exc
    if not isinstance(payload, dict):
        raise InvalidToken("the token's payload is not an object")
    return payload


def _role(claims: dict[str, Any]) -> str | None:
    """`role` (development tokens), `siji_role`, or a Siji role among an identity provider's realm roles."""
    for value in (claims.get("role"), claims.get("siji_role")):
        if isinstance(value, str) and value in ROLES:
            return value
    realm = claims.get("realm_access")
    granted = realm.get("roles") if isinstance(realm, dict) else None
    ours = [r for r in granted if r in ROLES] if isinstance(granted, list) else []
    return ours[0] if len(ours) == 1 else None


def user_of(token: str) -> User:
    token = token.strip().removeprefix("Bearer ").strip()
    claims = claims_of(token)
    name = claims.get("preferred_username") or claims.get("sub")
    role = _role(claims)
    region = claims.get("region") or claims.get("siji_region")
    if not isinstance(name, str) or not name:
        raise InvalidToken("the token names no user (sub)")
    if role is None:
        raise InvalidToken(f"the token carries no Siji role ({', '.join(ROLES)})")
    if not isinstance(region, str) or not region:
        raise InvalidToken("the token names no region")
    expires = claims.get("exp")
    expires_at = float(expires) if isinstance(expires, int | float) else None
    if expires_at is not None and expires_at <= time.time():
        raise InvalidToken("the token has expired")
    return User(name=name, role=role, region=region, token=token, expires_at=expires_at)


def signed_in_or_none(request: Request) -> User | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        return user_of(token)
    except InvalidToken:
        return None


def signed_in(request: Request) -> User:
    """FastAPI dependency: the signed-in user, or the sign-in page."""
    user = signed_in_or_none(request)
    if user is None:
        raise SignInRequired()
    return user
