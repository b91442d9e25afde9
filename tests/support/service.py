"""Collaborators for the service tier: a vault, principals, and dead letters that must stay empty."""

from siji_shared.auth import Principal, Role
from siji_shared.pii import PiiVault

VAULT = PiiVault("service-tier-test-key")


def principal(user: str, role: Role, region: str = "taicang") -> Principal:
    return Principal(user=user, role=role, region=region)


class NoDeadLetters:
    async def publish(self, record, reason: str) -> None:
        raise AssertionError(f"nothing should be dead-lettered here: {reason}")
