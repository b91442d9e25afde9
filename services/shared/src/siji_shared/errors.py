"""The two kinds of failure a consumer tells apart."""

import asyncio

import asyncpg
from aiokafka.errors import KafkaError


class RuleViolation(Exception):
    """The event is well-formed but breaks a business rule: it goes to the dead-letter topic."""


TRANSIENT = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    KafkaError,
)


def is_transient(exc: BaseException) -> bool:
    """Worth retrying as it is: the infrastructure hiccuped, the event itself is fine."""
    return isinstance(exc, TRANSIENT)
