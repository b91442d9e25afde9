from pydantic import Field
from pydantic_settings import SettingsConfigDict

from siji_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUDIT_", extra="ignore")

    http_port: int = 8106
    sweep_seconds: float = Field(5.0, gt=0, description="how often the invariants are checked")
    grace_seconds: float = Field(30.0, ge=0, description="a fact is checked once it is this old: the topics are "
                                                         "read independently, so an approval may follow its payment")
