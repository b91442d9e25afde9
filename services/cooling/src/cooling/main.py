"""create_app(): settings -> logging -> routes -> lifespan (migrations, pool, container, Kafka, outbox relay)."""

from pathlib import Path

from fastapi import FastAPI

from cooling import handlers
from cooling.api import router
from cooling.bootstrap import bootstrap
from cooling.config import Settings
from cooling.repository import OutOfStock
from cooling.service import Conflict, NotFound
from siji_shared import tracing
from siji_shared.http import install_error_handlers
from siji_shared.logging import configure_logging
from siji_shared.service_app import ServiceWiring, health_router, service_lifespan

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging("cooling", fmt=settings.log_format, level=settings.log_level)
    app = FastAPI(title="Siji cooling", lifespan=service_lifespan(ServiceWiring(
        name="cooling", schema="cooling", settings=settings, migrations=MIGRATIONS, bootstrap=bootstrap,
        consumers=handlers.register)))
    app.state.settings = settings
    tracing.configure("cooling", app, otlp_endpoint=settings.otlp_endpoint)
    app.include_router(router)
    app.include_router(health_router)
    install_error_handlers(app, {NotFound: 404, Conflict: 409, OutOfStock: 409})
    return app
