"""The CLI's settings: where infrastructure is (external or local) and where local state is kept."""

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from siji_cli.paths import ROOT


class CliSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    kafka_bootstrap_servers: str | None = Field(default=None, alias="KAFKA_BOOTSTRAP_SERVERS")
    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    state_dir: Path = Field(default=ROOT / ".state", alias="SIJI_STATE_DIR")
    kafka_lib_dir: Path = Field(default=ROOT / ".state" / "kafka-lib", alias="SIJI_KAFKA_LIB_DIR")
    infra: Literal["local", "containers"] = Field(
        default="local", alias="SIJI_INFRA",
        description="local: Kafka from the jars and the embedded PostgreSQL as processes; containers: the same "
                    "from the local images (`make images`), through testcontainers")
    kafka_port: int = Field(default=29092, alias="SIJI_KAFKA_PORT")
    postgres_port: int = Field(default=25432, alias="SIJI_POSTGRES_PORT")
    port_offset: int = Field(default=0, alias="SIJI_PORT_OFFSET", description="added to every service's HTTP port")
    token_secret: str = Field(default="siji-local-development-secret-change-me", alias="SIJI_TOKEN_SECRET")
    pii_key: str = Field(default="siji-local-development-pii-key-change-me", alias="SIJI_PII_KEY")
