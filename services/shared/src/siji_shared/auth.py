"""Caseworker access: bearer tokens carrying a user, a role and a region.

Two kinds of token, chosen by the settings:
- development (no ``jwks_url``): HS256 JWTs signed with ``token_secret``, made by ``issue_token`` and ``siji token``;
- an identity provider's (``jwks_url`` set, e.g. Keycloak): RS256 or ES256 JWTs verified against its JWKS,
  issuer and audience checked when configured, expiry and not-before with ``token_leeway_seconds`` of clock skew.
  PyJWKClient fetches and caches the key set (refetching on an unknown kid); the fetch runs in a worker thread,
  never on the event loop, and an unreachable provider answers 503 rather than 500."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import jwt
import structlog
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from siji_shared.service_app import container_of
from siji_shared.settings import ServiceSettings

log = structlog.get_logger(__name__)


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
    settings: ServiceSettings = container_of(request).settings
    if settings.jwks_url:
        return await _provider_principal(request, settings, settings.jwks_url, credentials.credentials)
    try:
        secret = settings.token_secret.get_secret_value()
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


# --- tokens from an identity provider -------------------------------------------------------------------------

PROVIDER_ALGORITHMS = ("RS256", "ES256")  # asymmetric only: never "none", never HS256 keyed with a public key
KEYS_FRESH_SECONDS = 300.0  # a fetched key set is used this long before it is fetched again
REFETCH_COOLDOWN_SECONDS = 10.0  # an unknown kid refetches the key set at most this often (key rotation)
RETRY_UNREACHABLE_SECONDS = 5.0  # after a failed fetch, answer at once (last known keys, else 503) this long


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(401, reason, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class _ProviderUnavailable(Exception):
    pass


class ProviderKeys:
    """One provider's signing keys. PyJWKClient fetches the JWKS, caches it and refetches it once when a token
    names an unknown kid (at most every REFETCH_COOLDOWN_SECONDS); this class keeps a copy the event loop can
    read without blocking, does every fetch in a worker thread (one at a time), and after a failed fetch serves
    the last known keys, or fails fast, for RETRY_UNREACHABLE_SECONDS instead of waiting on the provider again."""

    def __init__(self, url: str, *, timeout: float) -> None:
        self.url = url
        self._client = jwt.PyJWKClient(url, cache_jwk_set=True, lifespan=KEYS_FRESH_SECONDS, timeout=timeout,
                                       cooldown_duration=REFETCH_COOLDOWN_SECONDS)
        self._lock = threading.Lock()
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fresh_until = 0.0
        self._unreachable_until = 0.0
        self._failure = ""

    async def get(self, kid: str) -> jwt.PyJWK | None:
        """The signing key named kid, or None when the provider does not publish it."""
        now = time.monotonic()
        if now < self._fresh_until and kid in self._keys:
            return self._keys[kid]
        try:
            if now < self._unreachable_until:
                raise _ProviderUnavailable(self._failure)
            return await asyncio.to_thread(self._lookup, kid)
        except _ProviderUnavailable as exc:
            if kid in self._keys:  # the provider is down; the keys it last published still verify
                return self._keys[kid]
            raise HTTPException(503, f"the identity provider's signing keys {exc}; try again shortly",
                                headers={"Retry-After": str(int(RETRY_UNREACHABLE_SECONDS))}) from None

    def _lookup(self, kid: str) -> jwt.PyJWK | None:
        """In a worker thread, one fetch at a time."""
        with self._lock:
            now = time.monotonic()
            if now < self._fresh_until and kid in self._keys:  # another request fetched it meanwhile
                return self._keys[kid]
            if now < self._unreachable_until:
                raise _ProviderUnavailable(self._failure)
            try:
                keys = self._client.get_signing_keys()  # the cached set, or a fetch when missing or old
                if jwt.PyJWKClient.match_kid(keys, kid) is None:
                    try:
                        self._client.get_signing_key(kid)  # refetches once, unless within the cooldown
                    except jwt.PyJWKClientConnectionError:
                        raise
                    except jwt.PyJWKClientError:
                        pass  # not published (yet): the caller answers "unknown signing key"
                    keys = self._client.get_signing_keys()
            except jwt.PyJWKClientConnectionError as exc:
                self._fail("could not be fetched", exc)
            except (jwt.PyJWKClientError, jwt.PyJWKSetError, ValueError) as exc:  # ValueError: not JSON
                self._fail("are not a usable JWKS", exc)
            self._keys = {key.key_id: key for key in keys if key.key_id}
            self._fresh_until = time.monotonic() + KEYS_FRESH_SECONDS
            return self._keys.get(kid)

    def _fail(self, failure: str, exc: Exception) -> None:
        self._failure = failure
        self._unreachable_until = time.monotonic() + RETRY_UNREACHABLE_SECONDS
        log.warning("jwks unavailable", url=self.url, failure=failure, error=str(exc),
                    known_keys=len(self._keys))
        raise _ProviderUnavailable(failure) from exc


def _provider_keys(request: Request, url: str, timeout: float) -> ProviderKeys:
    """One ProviderKeys per app and JWKS URL, made at first use (the first token), kept on the app's state."""
    registry: dict[tuple[str, float], ProviderKeys] | None = getattr(request.app.state, "siji_jwks", None)
    if registry is None:
        registry = request.app.state.siji_jwks = {}
    if (url, timeout) not in registry:
        try:
            registry[url, timeout] = ProviderKeys(url, timeout=timeout)
        except jwt.PyJWKClientError as exc:
            log.error("jwks_url refused", error=str(exc))
            raise HTTPException(503, "the identity provider's JWKS URL is not an http(s) URL") from None
    return registry[url, timeout]


_CLAIM_ERRORS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "token expired"),
    (jwt.ImmatureSignatureError, "token not yet valid"),
    (jwt.InvalidAudienceError, "wrong audience"),
    (jwt.InvalidIssuerError, "wrong issuer"),
    (jwt.InvalidSignatureError, "bad signature"),
    (jwt.InvalidAlgorithmError, "signing algorithm not accepted"),
    (jwt.DecodeError, "malformed token"),
)


async def _provider_principal(request: Request, settings: ServiceSettings, url: str, token: str) -> Principal:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise _unauthorized("malformed token") from None
    algorithm, kid = header.get("alg"), header.get("kid")
    if algorithm not in PROVIDER_ALGORITHMS:
        raise _unauthorized(f"signing algorithm not accepted (only {', '.join(PROVIDER_ALGORITHMS)})")
    if not isinstance(kid, str) or not kid:
        raise _unauthorized("token names no signing key (kid)")
    signing_key = await _provider_keys(request, url, settings.jwks_timeout_seconds).get(kid)
    if signing_key is None:
        raise _unauthorized("unknown signing key")
    if signing_key.algorithm_name != algorithm:
        raise _unauthorized("token's algorithm does not match its signing key")
    required = ["exp"] + (["iss"] if settings.token_issuer else []) + (["aud"] if settings.token_audience else [])
    try:
        claims = jwt.decode(token, signing_key.key, algorithms=[algorithm], issuer=settings.token_issuer,
                            audience=settings.token_audience, leeway=settings.token_leeway_seconds,
                            options={"require": required})
    except jwt.MissingRequiredClaimError as exc:
        raise _unauthorized(f"token lacks the {exc.claim} claim") from None
    except jwt.PyJWTError as exc:
        reason = next((text for kind, text in _CLAIM_ERRORS if isinstance(exc, kind)), "invalid token")
        raise _unauthorized(reason) from None
    return _principal_from_claims(claims, settings)


def _claim(claims: dict[str, Any], name: str) -> Any:
    """A claim by name, or by dotted path into nested objects (Keycloak maps "a.b" to {"a": {"b": ...}})."""
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _single_string(value: Any) -> str | None:
    """A string claim; a one-element list also counts (Keycloak renders user attributes either way)."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value if isinstance(value, str) and value else None


def _principal_from_claims(claims: dict[str, Any], settings: ServiceSettings) -> Principal:
    user = _single_string(_claim(claims, settings.user_claim)) or _single_string(claims.get("sub"))
    if user is None:
        raise _unauthorized(f"token names no user ({settings.user_claim} or sub)")
    our_roles = [role.value for role in Role]
    source = settings.role_claim
    granted = _claim(claims, settings.role_claim)
    if granted is None and settings.token_audience:  # Keycloak client roles, then realm roles
        source = f"resource_access.{settings.token_audience}.roles"
        client = _claim(claims, "resource_access")
        client = client.get(settings.token_audience) if isinstance(client, dict) else None
        granted = client.get("roles") if isinstance(client, dict) else None
    if granted is None:
        source, granted = "realm_access.roles", _claim(claims, "realm_access.roles")
    if granted is None:
        raise _unauthorized(f"token carries no role ({settings.role_claim} or realm_access.roles)")
    candidates = granted if isinstance(granted, list) else [granted]
    ours = sorted({value for value in candidates if isinstance(value, str) and value in our_roles})
    if not ours:
        raise _unauthorized(f"token's {source} names no Siji role ({', '.join(our_roles)})")
    if len(ours) > 1:
        raise _unauthorized(f"token's {source} names several Siji roles ({', '.join(ours)}); one is expected")
    region = _single_string(_claim(claims, settings.region_claim))
    if region is None:
        raise _unauthorized(f"token lacks the {settings.region_claim} claim")
    return Principal(user=user, role=Role(ours[0]), region=region)
