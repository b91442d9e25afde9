"""Sealed personal data in events: opens for its recipient only, survives a key rotation, refuses tampering."""

import pytest

from siji_shared.sealed import EventKeys, SealBroken


def test_a_value_sealed_for_disbursement_opens_for_disbursement_only():
    keys = EventKeys({1: "ring-secret-one"}, current=1)
    sealed = keys.seal("6222020200112233445", recipient="disbursement")
    assert sealed.startswith("sealed:v1:") and "6222020200112233445" not in sealed
    assert keys.open(sealed, recipient="disbursement") == "6222020200112233445"
    with pytest.raises(SealBroken):
        keys.open(sealed, recipient="loans")
    assert keys.seal("张三", recipient="disbursement") != keys.seal("张三", recipient="disbursement"), "a fresh nonce"


def test_keys_rotate_by_version():
    old = EventKeys({1: "ring-secret-one"}, current=1)
    rotated = EventKeys({1: "ring-secret-one", 2: "ring-secret-two"}, current=2)
    before = old.seal("李四", recipient="loans")
    after = rotated.seal("李四", recipient="loans")
    assert after.startswith("sealed:v2:") and rotated.open(before, recipient="loans") == "李四"
    with pytest.raises(SealBroken, match="version 2"):
        old.open(after, recipient="loans")


def test_a_tampered_value_does_not_open():
    keys = EventKeys({1: "ring-secret-one"}, current=1)
    sealed = keys.seal("王五", recipient="disbursement")
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(SealBroken):
        keys.open(tampered, recipient="disbursement")
    with pytest.raises(SealBroken):
        keys.open("王五", recipient="disbursement")
