"""Service settings: secrets never shown, development secrets refused outside development, and one
Kafka connection object that every client is built from."""

import pytest
from pydantic import SecretStr, ValidationError

from siji_shared.kafka import KafkaConnection
from siji_shared.settings import ServiceSettings


def test_the_development_secrets_are_refused_in_production():
    with pytest.raises(ValidationError, match="token_secret is the development default"):
        ServiceSettings(environment="production")
    with pytest.raises(ValidationError, match="pii_key is the development default"):
        ServiceSettings(environment="production", token_secret="a-real-secret-of-32-bytes-or-more!")
    with pytest.raises(ValidationError, match="event_keys holds the development default"):
        ServiceSettings(environment="production", token_secret="t" * 40, pii_key="p" * 40)
    fine = ServiceSettings(environment="production", token_secret="t" * 40, pii_key="p" * 40,
                           event_keys={1: "e" * 40, 2: "f" * 40}, event_key_version=2)
    assert "t" * 40 not in repr(fine) and "p" * 40 not in str(fine.model_dump()) and "f" * 40 not in repr(fine)
    assert fine.sealing().seal("张三", recipient="disbursement").startswith("sealed:v2:")


def test_development_may_use_them():
    assert ServiceSettings().token_secret.get_secret_value().startswith("siji-local-development")


def test_one_connection_object_renders_plaintext_and_sasl_clients():
    assert KafkaConnection("k:9092").client_kwargs() == {"bootstrap_servers": "k:9092"}
    assert KafkaConnection("k:9092").security() is None
    scram = KafkaConnection("k:9093", security_protocol="SASL_SSL", username="eligibility",
                            password=SecretStr("s3cret"))
    kwargs = scram.client_kwargs()
    assert (kwargs["security_protocol"], kwargs["sasl_mechanism"], kwargs["sasl_plain_username"]) == \
        ("SASL_SSL", "SCRAM-SHA-512", "eligibility")
    assert kwargs["sasl_plain_password"] == "s3cret"
    with pytest.raises(ValueError, match="needs a username and a password"):
        KafkaConnection("k:9093", security_protocol="SASL_PLAINTEXT").client_kwargs()
    settings = ServiceSettings(kafka_bootstrap_servers="k:1", kafka_security_protocol="SASL_PLAINTEXT",
                               kafka_username="u", kafka_password="p")
    assert settings.kafka.client_kwargs()["sasl_plain_username"] == "u"
