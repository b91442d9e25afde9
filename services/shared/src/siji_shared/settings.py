"""The settings every service has. Each service subclasses this once, with env_prefix "<NAME>_".

Secrets are SecretStr (never printed, never logged) and the development defaults are refused
outside the development environment."""

from datetime import timedelta
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from siji_shared.kafka import KafkaConnection
from siji_shared.sealed import DEVELOPMENT_RING, EventKeys

DEVELOPMENT_TOKEN_SECRET = "siji-local-development-secret-change-me"
DEVELOPMENT_PII_KEY = "siji-local-development-pii-key-change-me"
DEVELOPMENT_EVENT_KEY = DEVELOPMENT_RING[1]


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    environment: Literal["development", "production"] = "development"
    database_url: str = "postgresql://postgres@127.0.0.1:25432/siji"
    kafka_bootstrap_servers: str = "127.0.0.1:29092"
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    kafka_username: str | None = None
    kafka_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = None
    http_host: str = "127.0.0.1"
    http_port: int = 8100
    log_format: Literal["json", "console"] = "json"
    log_level: str = "INFO"
    token_secret: SecretStr = SecretStr(DEVELOPMENT_TOKEN_SECRET)
    pii_key: SecretStr = SecretStr(DEVELOPMENT_PII_KEY)
    # An identity provider (Keycloak, ...): when jwks_url is set, bearer tokens are RS256/ES256 JWTs verified
    # against its JWKS (issuer and audience checked when set) and development HS256 tokens are refused.
    jwks_url: str | None = None
    jwks_timeout_seconds: float = 5.0
    token_issuer: str | None = None
    token_audience: str | None = None
    token_leeway_seconds: int = 30
    role_claim: str = "siji_role"  # else Keycloak's resource_access.<audience>.roles, then realm_access.roles
    region_claim: str = "siji_region"
    user_claim: str = "preferred_username"  # else "sub"
    event_keys: dict[int, SecretStr] = {1: SecretStr(DEVELOPMENT_EVENT_KEY)}  # the ring personal data in events
    event_key_version: int = 1                                                # is sealed with (siji_shared.sealed)
    pool_size: int = 10
    consumer_batch_size: int = 1000
    relay_batch_size: int = 2000
    # The outbox relay and the dispatcher wake on NOTIFY at every commit that gives them work; the poll is the
    # backstop. Each empty poll walks the outbox rows of transactions still open (200,000 at the end of a
    # campaign-list import): polled every second, that was a fifth of PostgreSQL's time during an import.
    relay_poll_seconds: float = 5.0
    inbox_retention_hours: float = 720.0
    otlp_endpoint: str | None = None  # an OpenTelemetry collector (OTLP/HTTP), e.g. http://collector:4318; off if unset

    @model_validator(mode="after")
    def _no_development_secrets_outside_development(self) -> "ServiceSettings":
        if self.environment != "development":
            for name, default in (("token_secret", DEVELOPMENT_TOKEN_SECRET), ("pii_key", DEVELOPMENT_PII_KEY)):
                if getattr(self, name).get_secret_value() == default:
                    raise ValueError(f"{name} is the development default; set a secret of your own for "
                                     f"{self.environment}")
            if any(key.get_secret_value() == DEVELOPMENT_EVENT_KEY for key in self.event_keys.values()):
                raise ValueError(f"event_keys holds the development default; set keys of your own for "
                                 f"{self.environment}")
        return self

    def sealing(self) -> EventKeys:
        """How this service seals personal data for the services it sends events to, and opens its own."""
        return EventKeys({v: k.get_secret_value() for v, k in self.event_keys.items()}, self.event_key_version)

    @property
    def kafka(self) -> KafkaConnection:
        return KafkaConnection(bootstrap_servers=self.kafka_bootstrap_servers,
                               security_protocol=self.kafka_security_protocol,
                               sasl_mechanism=self.kafka_sasl_mechanism, username=self.kafka_username,
                               password=self.kafka_password, ssl_cafile=self.kafka_ssl_cafile)

    @property
    def inbox_retention(self) -> timedelta:
        return timedelta(hours=self.inbox_retention_hours)
