from pydantic import Field
from pydantic_settings import SettingsConfigDict

from siji_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="RECONCILIATION_", extra="ignore")

    http_port: int = 8103
    bank_url: str = "http://127.0.0.1:8109"
    bank_timeout_seconds: float = 30.0
    statement_poll_seconds: float = Field(2.0, gt=0, description="how often the bank is asked for closed days")
    reclassify_seconds: float = Field(10.0, ge=0, description="at most this often while payments keep changing")
    grace_business_days: int = Field(2, ge=0, description="statements a paid line may be absent from before it "
                                                          "counts as missing at the bank")
