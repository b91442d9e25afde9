from pydantic import Field
from pydantic_settings import SettingsConfigDict

from siji_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ELIGIBILITY_", extra="ignore")

    http_port: int = 8101
    expiry_interval_seconds: float = Field(3600.0, gt=0, description="how often hardship files are checked for expiry")
    expiry_batch_size: int = Field(5000, ge=1)
