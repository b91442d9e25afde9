"""create_app(): settings -> logging -> routes -> lifespan (migrations, pool, container, Kafka, outbox relay,
the bank dispatcher)."""

from pathlib import Path

from fastapi import FastAPI

from disbursement import handlers
from disbursement.api import router
from disbursement.bootstrap import bootstrap
from disbursement.config import Settings
from disbursement.dispatcher import SCHEMA, Dispatcher
from disbursement.service import BudgetExists, NoBudget
from siji_shared import tracing
from siji_shared.http import install_error_handlers
from siji_shared.logging import configure_logging
from siji_shared.service_app import ServiceWiring, health_router, service_lifespan

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging("disbursement", fmt=settings.log_format, level=settings.log_level)
    app = FastAPI(title="Siji disbursement", lifespan=service_lifespan(ServiceWiring(
        name="disbursement", schema=SCHEMA, settings=settings, migrations=MIGRATIONS, bootstrap=bootstrap,
        consumers=handlers.register, background=lambda container: [Dispatcher(container).run()],
    )))
    app.state.settings = settings
    tracing.configure("disbursement", app, otlp_endpoint=settings.otlp_endpoint)
    app.include_router(router)
    app.include_router(health_router)
    install_error_handlers(app, {BudgetExists: 409, NoBudget: 404})
    return app
