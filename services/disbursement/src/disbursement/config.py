from pydantic_settings import SettingsConfigDict

from siji_shared.iso20022 import Party
from siji_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DISBURSEMENT_", extra="ignore")

    http_port: int = 8102
    bank_url: str = "http://127.0.0.1:8109"
    bank_timeout_seconds: float = 30.0
    dispatch_batch_size: int = 1000
    dispatch_in_flight: int = 2
    bank_max_attempts: int = 12  # about 20 minutes of backoff before a batch the bank never answers fails
    union_name: str = "太仓市总工会"
    union_account: str = "10551101040012345"
    union_bank_bic: str = "ABOCCNBJ100"

    def debtor(self) -> Party:
        """The union's account that every payment batch is paid from."""
        return Party(name=self.union_name, account=self.union_account, bic=self.union_bank_bic)
