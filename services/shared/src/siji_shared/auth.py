"""Caseworker access: bearer tokens (HS256 JWT) carrying a user, a role and a region."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from siji_shared.service_app import current_container


class Role(StrEnum):
    CASEWORKER = "caseworker"
    APPROVER = "approver"
    FINANCE = "finance"
    AUDITOR = "auditor"
    ADMIN = "admin"  # loads, lists and diffs policy (rule set) versions


class Principal(BaseModel):
    user: str
    role: Role
    region: str

    def ensure_region(self, region: str) -> None:
        if region != self.region:
            raise HTTPException(403, f"{self.user} acts only in region {self.region}, not {region}")


def issue_token(secret: str, *, user: str, role: Role, region: str, ttl: timedelta = timedelta(hours=12)) -> str:
    now = datetime.now(UTC)
    claims = {"sub": user, "role": role.value, "region": region, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm="HS256")


_bearer = HTTPBearer(auto_error=False)


async def current_principal(request: Request,
                            credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Principal:
    if credentials is None:
        raise HTTPException(401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    try:
        secret = current_container(request).settings.token_secret.get_secret_value()
        claims = jwt.decode(credentials.credentials, secret, algorithms=["HS256"],
                            options={"require": ["sub", "exp"]})
        return Principal(user=claims["sub"], role=Role(claims["role"]), region=claims["region"])
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise HTTPException(401, f"invalid token: {exc}", headers={"WWW-Authenticate": "Bearer"}) from exc


def require(*roles: Role):
    async def check(principal: Principal = Depends(current_principal)) -> Principal:
        if principal.role not in roles:
            raise HTTPException(403, f"role {principal.role} may not do this; needs {', '.join(roles)}")
        return principal

    return check
