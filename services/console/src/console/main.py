"""create_app(): settings -> logging -> pages, static files, error pages -> one HTTP client for the services.
The console has no database and no Kafka: everything it shows comes from the services' APIs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from console import i18n, pages
from console.config import Settings
from siji_shared.logging import configure_logging

STATIC = Path(__file__).parent / "static"
SECURITY_HEADERS = {
    # only our own files: no inline script, no framing, forms post back here only
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def create_app(settings: Settings | None = None, *, transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """`transport` stands in for the services in tests that render pages without them."""
    settings = settings or Settings()
    configure_logging("console", fmt=settings.log_format, level=settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=settings.api_timeout_seconds, transport=transport) as http:
            app.state.http = http
            yield

    app = FastAPI(title="Siji console", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(pages.router)
    pages.install_error_pages(app)

    @app.middleware("http")
    async def headers_and_language(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"  # pages hold personal data, forms a fresh key
        asked = request.query_params.get("lang")
        if asked in i18n.LANGS:
            response.set_cookie(i18n.COOKIE, asked, max_age=365 * 24 * 3600, samesite="lax",
                                secure=settings.secure_cookies)
        return response

    return app
