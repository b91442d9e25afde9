"""create_app(): settings -> logging -> routes -> lifespan (migrations, pool, container, Kafka, outbox relay,
the statement fetcher)."""

from pathlib import Path

from fastapi import FastAPI

from reconciliation import handlers
from reconciliation.api import router
from reconciliation.bootstrap import bootstrap
from reconciliation.config import Settings
from reconciliation.service import DayAlreadyClosed, NotFound, StatementRefused
from reconciliation.statements import StatementFetcher
from siji_shared import tracing
from siji_shared.http import install_error_handlers
from siji_shared.logging import configure_logging
from siji_shared.service_app import ServiceWiring, health_router, service_lifespan

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging("reconciliation", fmt=settings.log_format, level=settings.log_level)
    app = FastAPI(title="Siji reconciliation", lifespan=service_lifespan(ServiceWiring(
        name="reconciliation", schema="reconciliation", settings=settings, migrations=MIGRATIONS,
        bootstrap=bootstrap, consumers=handlers.register,
        background=lambda container: [StatementFetcher(container).run()],
    )))
    app.state.settings = settings
    tracing.configure("reconciliation", app, otlp_endpoint=settings.otlp_endpoint)
    app.include_router(router)
    app.include_router(health_router)
    install_error_handlers(app, {NotFound: 404, StatementRefused: 422, DayAlreadyClosed: 409})
    return app
