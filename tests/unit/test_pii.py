import json
import logging

import pytest
import structlog
from cryptography.exceptions import InvalidTag

from siji_shared.logging import configure_logging, redact_personal_data
from siji_shared.pii import (
    InvalidNationalId,
    PiiVault,
    mask_account,
    mask_national_id,
    national_id_check_digit,
    personal_data_in,
    redact_text,
    validate_national_id,
)

VALID = "11010519491231002X"  # the GB 11643 standard's own example


def test_standard_example_validates_and_normalises_lower_case_x():
    assert validate_national_id(VALID.lower()) == VALID


@pytest.mark.parametrize(("value", "reason"), [
    ("110105194912310021", "check digit"),
    ("11010519491331002X", "birth date"),
    ("1101051949123100", "17 digits"),
    ("11010519491231002Y", "17 digits"),
])
def test_invalid_ids_say_why(value, reason):
    with pytest.raises(InvalidNationalId, match=reason):
        validate_national_id(value)


def test_check_digit_matches_every_generated_id():
    for serial in range(1000):
        first17 = f"32058519800101{serial:03d}"
        assert validate_national_id(first17 + national_id_check_digit(first17))


def test_masks_keep_only_what_a_person_needs():
    assert mask_national_id(VALID) == "110*************2X"
    assert mask_account("6222020200112233445") == "***************3445"


def test_free_text_is_redacted():
    text = f"member {VALID} paid to 6222020200112233445 case 42"
    assert redact_text(text) == "member 110*************2X paid to ***************3445 case 42"


def test_log_processor_masks_sensitive_keys_and_embedded_numbers():
    event = redact_personal_data(None, "info", {"event": f"registered {VALID}", "national_id": VALID,
                                                "payee_account": "6222020200112233445", "amount_fen": 50000})
    assert VALID not in json.dumps(event)
    assert "6222020200112233445" not in json.dumps(event)
    assert event["amount_fen"] == 50000


def test_vault_round_trips_and_hashes_with_its_key():
    vault, other = PiiVault("key-one"), PiiVault("key-two")
    token = vault.encrypt(VALID)
    assert VALID.encode() not in token
    assert vault.decrypt(token) == VALID
    assert vault.lookup_hash(VALID) == PiiVault("key-one").lookup_hash(VALID)
    assert vault.lookup_hash(VALID) != other.lookup_hash(VALID)


def test_vault_values_are_authenticated_and_first_version_values_still_open():
    vault = PiiVault("key-one")
    token = vault.encrypt(VALID)
    assert token != vault.encrypt(VALID), "a fresh nonce each time"
    with pytest.raises(InvalidTag):
        vault.decrypt(token[:-1] + bytes([token[-1] ^ 1]))
    with pytest.raises(InvalidTag):
        PiiVault("key-two").decrypt(token)
    legacy = vault._fernet.encrypt(VALID.encode())  # as the first version stored it
    assert vault.decrypt(legacy) == VALID


@pytest.fixture
def restore_logging():
    """Put logging back after a test that configures it onto pytest's captured stdout: that stream is
    closed after the test, and later tests must not log into it."""
    handlers = logging.getLogger().handlers[:]
    yield
    structlog.reset_defaults()
    logging.getLogger().handlers[:] = handlers


def test_library_log_lines_are_json_and_redacted(capsys, restore_logging):
    configure_logging("test", fmt="json")
    logging.getLogger("aiokafka.test").warning("could not deliver to %s", VALID)
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["logger"] == "aiokafka.test" and line["level"] == "warning" and line["service"] == "test"
    assert VALID not in line["event"] and "110*************2X" in line["event"]


def test_personal_data_in_a_log_line_is_found_masked():
    line = '{"event": "x", "note": "paid 6222020200112233445 for 320585198001011230", "id": "4f1c-123456789012"}'
    assert personal_data_in(line) == ["320*************30", "***************3445"]
    assert personal_data_in('{"payee_account": "***", "case": "55c2f0a4-1a2b-4c3d-8e9f-620000000000"}') == []
