"""create_app(): settings -> logging -> routes -> lifespan (migrations, pool, container, Kafka, outbox relay,
the bank link; the bundled policies when none is loaded)."""

from pathlib import Path

from fastapi import FastAPI

from loans import handlers
from loans.api import router
from loans.bank import BankLink
from loans.bootstrap import Loans, bootstrap
from loans.config import Settings
from loans.policy import PolicyInvalid
from loans.service import NotFound, VersionConflict, load_shipped
from siji_shared import tracing
from siji_shared.http import install_error_handlers
from siji_shared.logging import configure_logging
from siji_shared.service_app import ServiceWiring, health_router, service_lifespan

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


async def _on_start(container: Loans) -> None:
    await load_shipped(container.pool)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging("loans", fmt=settings.log_format, level=settings.log_level)
    app = FastAPI(title="Siji loans", lifespan=service_lifespan(ServiceWiring(
        name="loans", schema="loans", settings=settings, migrations=MIGRATIONS, bootstrap=bootstrap,
        consumers=handlers.register, background=lambda container: [BankLink(container).run()], on_start=_on_start,
    )))
    app.state.settings = settings
    tracing.configure("loans", app, otlp_endpoint=settings.otlp_endpoint)
    app.include_router(router)
    app.include_router(health_router)
    install_error_handlers(app, {NotFound: 404, VersionConflict: 409, PolicyInvalid: 422})
    return app
