from pydantic_settings import SettingsConfigDict

from siji_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DISBURSEMENT_", extra="ignore")

    http_port: int = 8102
    bank_url: str = "http://127.0.0.1:8109"
    bank_timeout_seconds: float = 10.0
    bank_concurrency: int = 32
    dispatch_batch_size: int = 200
