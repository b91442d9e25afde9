from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """The console holds no secret and no data: it calls the services with the signed-in user's own token."""

    model_config = SettingsConfigDict(env_prefix="CONSOLE_", extra="ignore")

    http_host: str = "127.0.0.1"
    http_port: int = 8107
    log_format: Literal["json", "console"] = "json"
    log_level: str = "INFO"
    eligibility_url: str = "http://127.0.0.1:8101"
    disbursement_url: str = "http://127.0.0.1:8102"
    reconciliation_url: str = "http://127.0.0.1:8103"
    loans_url: str = "http://127.0.0.1:8104"
    cooling_url: str = "http://127.0.0.1:8105"
    audit_url: str = "http://127.0.0.1:8106"
    api_timeout_seconds: float = Field(60.0, gt=0, description="a large campaign list takes a while to import")
    secure_cookies: bool = Field(False, description="mark the cookies Secure: set it when served over HTTPS")
    page_size: int = Field(50, ge=1, le=1000, description="cases per page of the queue")

    def service_url(self, service: str) -> str:
        return str(getattr(self, f"{service}_url")).rstrip("/")
