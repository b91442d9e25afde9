"""The settings every service has. Each service subclasses this once, with env_prefix "<NAME>_"."""

from datetime import timedelta
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    @property
    def outbox_retention(self) -> timedelta:
        return timedelta(hours=self.outbox_retention_hours)

    database_url: str = "postgresql://postgres@127.0.0.1:25432/siji"
    kafka_bootstrap_servers: str = "127.0.0.1:29092"
    http_host: str = "127.0.0.1"
    http_port: int = 8100
    log_format: Literal["json", "console"] = "json"
    log_level: str = "INFO"
    token_secret: str = "siji-local-development-secret-change-me"
    pii_key: str = "siji-local-development-pii-key-change-me"
    pool_size: int = 10
    consumer_batch_size: int = 500
    relay_batch_size: int = 1000
    relay_poll_seconds: float = 1.0
    outbox_retention_hours: float = 168.0
