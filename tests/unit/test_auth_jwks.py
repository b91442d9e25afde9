"""Tokens from an identity provider (Keycloak, ...): RS256/ES256 JWTs verified against a JWKS that a local HTTP
server in the test publishes, with keys the test makes. And the development HS256 tokens, unchanged when no
JWKS URL is set."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from siji_shared import auth
from siji_shared.auth import Principal, Role, issue_token, require
from siji_shared.settings import DEVELOPMENT_TOKEN_SECRET, ServiceSettings

ISSUER = "https://sso.example.org/realms/siji"
AUDIENCE = "siji-api"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
STRANGER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(private_key: Any, kid: str) -> dict[str, Any]:
    if isinstance(private_key, rsa.RSAPrivateKey):
        return {**jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True),
                "kid": kid, "use": "sig", "alg": "RS256"}
    return {**jwt.algorithms.ECAlgorithm.to_jwk(private_key.public_key(), as_dict=True),
            "kid": kid, "use": "sig", "alg": "ES256"}


@pytest.fixture
def provider() -> Iterator[SimpleNamespace]:
    """A JWKS endpoint on an ephemeral port: its keys, status and body can change; it counts its requests."""
    state = SimpleNamespace(keys=[public_jwk(RSA_KEY, "rsa-1"), public_jwk(EC_KEY, "ec-1")], hits=0, status=200,
                            body=None)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits += 1
            body = state.body if state.body is not None else json.dumps({"keys": state.keys}).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/realms/siji/protocol/openid-connect/certs"

    def stop() -> None:
        server.shutdown()
        server.server_close()

    state.stop = stop
    yield state
    if thread.is_alive():
        stop()


def app_client(**settings: Any) -> TestClient:
    """A tiny service: one route for approvers and caseworkers, behind the shared require()."""
    app = FastAPI()
    app.state.container = SimpleNamespace(settings=ServiceSettings(**settings))

    @app.get("/approvals")
    async def approvals(who: Principal = Depends(require(Role.APPROVER, Role.CASEWORKER))) -> dict[str, str]:
        return who.model_dump()

    return TestClient(app)


def provider_client(provider: SimpleNamespace, **settings: Any) -> TestClient:
    return app_client(jwks_url=provider.url, token_issuer=ISSUER, token_audience=AUDIENCE, **settings)


def token(key: Any = RSA_KEY, *, kid: str = "rsa-1", algorithm: str = "RS256", **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "0b7e2c1a-uuid", "preferred_username": "ap-taicang-01",
            "siji_role": "approver", "siji_region": "taicang", "iat": now, "nbf": now, "exp": now + 300, **claims}
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm=algorithm,
                      headers={"kid": kid})


def call(client: TestClient, bearer: str) -> Response:
    return client.get("/approvals", headers={"Authorization": f"Bearer {bearer}"})


def refused(response: Response, status: int, reason: str, bearer: str) -> None:
    assert response.status_code == status, response.text
    assert reason in response.json()["detail"]
    assert bearer not in response.text, "the token is never echoed"


def test_a_valid_rs256_or_es256_token_gives_the_principal_and_the_keys_are_fetched_once(provider):
    client = provider_client(provider)
    response = call(client, token())
    assert response.status_code == 200, response.text
    assert response.json() == {"user": "ap-taicang-01", "role": "approver", "region": "taicang"}
    ec_token = token(EC_KEY, kid="ec-1", algorithm="ES256", siji_role="caseworker", siji_region="kunshan")
    assert call(client, ec_token).json() == {"user": "ap-taicang-01", "role": "caseworker", "region": "kunshan"}
    for _ in range(5):
        assert call(client, token()).status_code == 200
    assert provider.hits == 1
    without_username = token(preferred_username=None)
    assert call(client, without_username).json()["user"] == "0b7e2c1a-uuid", "falls back to sub"


def test_expiry_and_not_before_allow_the_configured_clock_skew(provider):
    client = provider_client(provider, token_leeway_seconds=30)
    now = int(time.time())
    assert call(client, token(exp=now - 10)).status_code == 200
    assert call(client, token(nbf=now + 10)).status_code == 200
    expired = token(exp=now - 120)
    refused(call(client, expired), 401, "token expired", expired)
    early = token(nbf=now + 120)
    refused(call(client, early), 401, "token not yet valid", early)
    forever = token(exp=None)
    refused(call(client, forever), 401, "token lacks the exp claim", forever)


def test_issuer_and_audience_are_checked(provider):
    client = provider_client(provider)
    for bad, reason in ((token(aud="another-client"), "wrong audience"),
                        (token(iss="https://sso.example.org/realms/other"), "wrong issuer"),
                        (token(aud=None), "token lacks the aud claim"),
                        (token(iss=None), "token lacks the iss claim")):
        refused(call(client, bad), 401, reason, bad)


def test_unknown_keys_and_foreign_signatures_are_refused(provider):
    client = provider_client(provider)
    unknown = token(STRANGER_KEY, kid="rotated-away")
    refused(call(client, unknown), 401, "unknown signing key", unknown)
    forged = token(STRANGER_KEY, kid="rsa-1")
    refused(call(client, forged), 401, "bad signature", forged)
    mismatched = token(RSA_KEY, kid="ec-1")  # RS256 naming the EC key
    refused(call(client, mismatched), 401, "does not match its signing key", mismatched)
    garbage = "not.a.jwt"
    refused(call(client, garbage), 401, "malformed token", garbage)


def _hs256_signed_with(secret: bytes, claims: dict[str, Any], kid: str) -> str:
    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    signing_input = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode()) + b"." + \
        b64(json.dumps(claims).encode())
    return (signing_input + b"." + b64(hmac.new(secret, signing_input, hashlib.sha256).digest())).decode()


def test_algorithm_confusion_and_unsigned_tokens_are_refused(provider):
    client = provider_client(provider)
    claims = jwt.decode(token(), options={"verify_signature": False})
    public_pem = RSA_KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    for secret in (public_pem, json.dumps(public_jwk(RSA_KEY, "rsa-1")).encode()):
        confused = _hs256_signed_with(secret, claims, "rsa-1")
        refused(call(client, confused), 401, "signing algorithm not accepted", confused)
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": "rsa-1"})
    refused(call(client, unsigned), 401, "signing algorithm not accepted", unsigned)
    development = issue_token(DEVELOPMENT_TOKEN_SECRET, user="ap-taicang-01", role=Role.APPROVER, region="taicang")
    refused(call(client, development), 401, "signing algorithm not accepted", development)


def test_roles_come_from_the_role_claim_or_keycloaks_client_and_realm_roles(provider):
    client = provider_client(provider)
    stranger = token(siji_role="superuser")
    refused(call(client, stranger), 401, "names no Siji role", stranger)
    realm = token(siji_role=None, realm_access={"roles": ["offline_access", "uma_authorization", "approver"]})
    assert call(client, realm).json()["role"] == "approver"
    client_roles = token(siji_role=None, realm_access={"roles": ["approver"]},
                         resource_access={AUDIENCE: {"roles": ["caseworker"]}, "account": {"roles": ["admin"]}})
    assert call(client, client_roles).json()["role"] == "caseworker", "the audience's client roles come first"
    several = token(siji_role=None, realm_access={"roles": ["approver", "finance"]})
    refused(call(client, several), 401, "several Siji roles", several)
    none = token(siji_role=None)
    refused(call(client, none), 401, "token carries no role", none)
    finance = token(siji_role="finance")
    refused(call(client, finance), 403, "may not do this", finance)
    homeless = token(siji_region=None)
    refused(call(client, homeless), 401, "token lacks the siji_region claim", homeless)
    custom = provider_client(provider, role_claim="siji.role", region_claim="region", user_claim="email")
    nested = token(siji={"role": "caseworker"}, region=["wujiang"], email="cw@example.org")
    assert call(custom, nested).json() == {"user": "cw@example.org", "role": "caseworker", "region": "wujiang"}


def test_development_tokens_work_as_before_without_a_jwks_url():
    client = app_client()
    good = issue_token(DEVELOPMENT_TOKEN_SECRET, user="cw-taicang-01", role=Role.CASEWORKER, region="taicang")
    assert call(client, good).json() == {"user": "cw-taicang-01", "role": "caseworker", "region": "taicang"}
    assert call(client, issue_token("another-secret-of-at-least-32-bytes!", user="x", role=Role.CASEWORKER, region="taicang")) \
        .status_code == 401
    unknown_role = jwt.encode({"sub": "x", "role": "superuser", "region": "taicang", "exp": time.time() + 60},
                              DEVELOPMENT_TOKEN_SECRET, algorithm="HS256")
    assert call(client, unknown_role).status_code == 401
    assert client.get("/approvals").status_code == 401


def test_an_unreachable_jwks_is_503_with_a_reason_and_fails_fast_meanwhile(provider):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    client = app_client(jwks_url=f"http://127.0.0.1:{closed_port}/certs", token_audience=AUDIENCE)
    bearer = token()
    response = call(client, bearer)
    refused(response, 503, "signing keys could not be fetched", bearer)
    assert response.headers["Retry-After"]

    provider.status = 500
    client = provider_client(provider)
    refused(call(client, bearer), 503, "could not be fetched", bearer)
    refused(call(client, bearer), 503, "could not be fetched", bearer)
    assert provider.hits == 1, "within the retry window the provider is not asked again"

    provider.status, provider.body = 200, b"<html>maintenance</html>"
    refused(call(provider_client(provider), bearer), 503, "not a usable JWKS", bearer)
    refused(call(app_client(jwks_url="file:///etc/passwd"), bearer), 503, "not an http(s) URL", bearer)


def test_the_fetch_runs_off_the_event_loop(provider, monkeypatch):
    seen: list[bool] = []
    fetch = jwt.PyJWKClient.fetch_data

    def spying_fetch(self: jwt.PyJWKClient) -> Any:
        try:
            asyncio.get_running_loop()
            seen.append(True)
        except RuntimeError:
            seen.append(False)
        return fetch(self)

    monkeypatch.setattr(jwt.PyJWKClient, "fetch_data", spying_fetch)
    assert call(provider_client(provider), token()).status_code == 200
    assert seen == [False], "fetched in a worker thread, not on the event loop"


def test_a_rotated_key_is_fetched_on_its_first_token(provider, monkeypatch):
    monkeypatch.setattr(auth, "REFETCH_COOLDOWN_SECONDS", 0.0)
    client = provider_client(provider)
    assert call(client, token()).status_code == 200
    provider.keys = [public_jwk(STRANGER_KEY, "rsa-2"), *provider.keys]
    assert call(client, token(STRANGER_KEY, kid="rsa-2")).status_code == 200
    assert provider.hits == 2


def test_the_last_known_keys_still_verify_while_the_provider_is_down(provider, monkeypatch):
    monkeypatch.setattr(auth, "KEYS_FRESH_SECONDS", 0.05)
    client = provider_client(provider)
    assert call(client, token()).status_code == 200
    provider.stop()
    time.sleep(0.1)
    assert call(client, token()).status_code == 200
    unknown = token(STRANGER_KEY, kid="rsa-2")
    refused(call(client, unknown), 503, "could not be fetched", unknown)
