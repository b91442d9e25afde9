from pydantic_settings import SettingsConfigDict

from siji_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="COOLING_", extra="ignore")

    http_port: int = 8105
