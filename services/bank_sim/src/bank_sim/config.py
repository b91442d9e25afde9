from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BANK_SIM_", extra="ignore")

    http_host: str = "127.0.0.1"
    http_port: int = 8109
    log_format: str = "json"
    log_level: str = "INFO"
    failure_rate: float = Field(default=0.02, ge=0, le=1, description="share of payment lines the bank rejects")
    unavailable_rate: float = Field(default=0.0, ge=0, le=1, description="share of batch requests answered 503")
    latency_ms: int = Field(default=5, ge=0)
    seed: int = 2026
    journal: Path | None = Field(default=None, description="append-only file that survives restarts")
