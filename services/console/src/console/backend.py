"""The services' HTTP APIs, called on the signed-in user's behalf with the user's own bearer token."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx

from console.config import Settings


class ApiError(Exception):
    """A service refused or failed: its status and the reason it gave, shown to the user as they are."""

    def __init__(self, status: int, detail: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []


class Backend:
    def __init__(self, http: httpx.AsyncClient, settings: Settings, token: str) -> None:
        self.http = http
        self.settings = settings
        self.headers = {"Authorization": f"Bearer {token}"}

    async def get(self, service: str, path: str, params: dict[str, Any] | None = None) -> Any:
        return (await self._send("GET", service, path, params=params)).json()

    async def post(self, service: str, path: str, *, body: Any = None, key: str | None = None,
                   params: dict[str, Any] | None = None, content: AsyncIterator[bytes] | None = None) -> Any:
        """A write. `key` is the Idempotency-Key: a form carries one made when the form was drawn, so
        sending the form twice does the work once."""
        headers = {"Idempotency-Key": key or str(uuid.uuid4())}
        response = await self._send("POST", service, path, params=params, json=body, content=content,
                                    headers=headers)
        return response.json()

    async def upload(self, service: str, path: str, *, params: dict[str, Any],
                     content: AsyncIterator[bytes]) -> tuple[int, Any]:
        """A file as the request body (no Idempotency-Key: the file is its own); the status tells a new
        import (201) from the same file again (200)."""
        response = await self._send("POST", service, path, params=params, content=content)
        return response.status_code, response.json()

    async def raw(self, service: str, path: str) -> httpx.Response:
        return await self._send("GET", service, path)

    async def _send(self, method: str, service: str, path: str, *, headers: dict[str, str] | None = None,
                    **kwargs: Any) -> httpx.Response:
        params = {k: v for k, v in (kwargs.pop("params", None) or {}).items() if v not in (None, "")}
        try:
            response = await self.http.request(method, f"{self.settings.service_url(service)}{path}", params=params,
                                               headers={**self.headers, **(headers or {})}, **kwargs)
        except httpx.HTTPError as exc:
            raise ApiError(503, f"{service} 服务无法访问（{service} is unreachable: {type(exc).__name__}）") from exc
        if response.status_code >= 400:
            raise _error(service, response)
        return response


def _error(service: str, response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        return ApiError(response.status_code, f"{service}: HTTP {response.status_code}")
    detail = body.get("detail") if isinstance(body, dict) else None
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(detail, list):  # FastAPI's own validation answer
        errors, detail = detail, "invalid request"
    return ApiError(response.status_code, str(detail or f"HTTP {response.status_code}"),
                    [e for e in errors or [] if isinstance(e, dict)])
