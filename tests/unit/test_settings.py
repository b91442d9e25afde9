"""Service settings: secrets never shown, development secrets refused outside development, and one
Kafka connection object that every client is built from."""

import ssl
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
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


def test_tls_trusts_the_configured_ca_and_brokers_are_listed_one_by_one(tmp_path):
    """SASL_SSL needs an SSL context (aiokafka refuses without one): the brokers' CA from a PEM file, or
    the system's trusted CAs; a comma-separated bootstrap list is several brokers, not one address."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cluster-ca.siji")])
    now = datetime.now(UTC)
    ca = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(key, hashes.SHA256()))
    (tmp_path / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    settings = ServiceSettings(kafka_bootstrap_servers="kafka-0:9093, kafka-1:9093,kafka-2:9093",
                               kafka_security_protocol="SASL_SSL", kafka_username="loans", kafka_password="p",
                               kafka_ssl_cafile=str(tmp_path / "ca.crt"))
    context = settings.kafka.client_kwargs()["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert [dict(c["subject"][0])["commonName"] for c in context.get_ca_certs()] == ["cluster-ca.siji"]
    assert settings.kafka.servers == ["kafka-0:9093", "kafka-1:9093", "kafka-2:9093"]
    plain = KafkaConnection("k:9093", security_protocol="SASL_PLAINTEXT", username="u", password=SecretStr("p"))
    assert plain.client_kwargs().get("ssl_context") is None
