from pydantic import Field
from pydantic_settings import SettingsConfigDict

from siji_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="LOANS_", extra="ignore")

    http_port: int = 8104
    bank_url: str = "http://127.0.0.1:8109"
    bank_timeout_seconds: float = 30.0
    bank_poll_seconds: float = Field(1.0, gt=0, description="how often the bank's loan events are asked for")
    forward_batch_size: int = Field(2000, ge=1, le=5000)
    feed_page_size: int = Field(5000, ge=1, le=5000)
