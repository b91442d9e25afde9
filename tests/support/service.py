"""Collaborators for the service tier: a vault, principals, and dead letters that must stay empty."""

from eligibility.policy import Cause, HardshipLevel
from eligibility.service import HardshipFileIn
from siji_shared.auth import Principal, Role
from siji_shared.pii import PiiVault

VAULT = PiiVault("service-tier-test-key")


def principal(user: str, role: Role, region: str = "taicang") -> Principal:
    return Principal(user=user, role=role, region=region)


class NoDeadLetters:
    async def publish(self, record, reason: str) -> None:
        raise AssertionError(f"nothing should be dead-lettered here: {reason}")


# (household size, income per month in fen, causes) that grade to each level under every shipped standard
HOUSEHOLDS = {HardshipLevel.DEEP: (1, 50_000, frozenset()), HardshipLevel.RELATIVE: (1, 130_000, frozenset()),
              HardshipLevel.ACCIDENT: (2, 600_000, frozenset({Cause.ACCIDENT}))}


def hardship_file(member, level: HardshipLevel, household_id: str | None = None) -> HardshipFileIn:
    size, income, causes = HOUSEHOLDS[level]
    return HardshipFileIn(national_id=member.national_id, name=member.name, household_size=size,
                          income_fen_per_month=income, causes=causes, household_id=household_id)
