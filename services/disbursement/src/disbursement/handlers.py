"""Kafka subscribers: approved cases and the loans' subsidies due become payments; returned ones are
reversed and, once the payee's account is corrected, paid again."""

from collections.abc import Awaitable, Callable

import asyncpg

from contracts import Envelope
from contracts.eligibility import CaseApprovedV1, CaseApprovedV2, CasePayeeCorrectedV1, CasePayeeCorrectedV2
from contracts.loans import SubsidyDueV1, SubsidyDueV2
from contracts.reconciliation import ReturnFoundV1
from contracts.topics import Topic
from disbursement import service
from disbursement.bootstrap import Disbursement
from siji_shared.consumer import EventConsumer

GROUP = "disbursement"


def register(container: Disbursement) -> list[EventConsumer]:
    return [EventConsumer(
        topic=Topic.ELIGIBILITY_CASES, group_id=GROUP, pool=container.pool, dead_letters=container.dead_letters,
        handlers={CaseApprovedV1: instruct_payments(container), CaseApprovedV2: instruct_payments(container),
                  CasePayeeCorrectedV1: reissue_payments(container), CasePayeeCorrectedV2: reissue_payments(container)},
    ), EventConsumer(
        topic=Topic.LOANS_SUBSIDIES, group_id=GROUP, pool=container.pool, dead_letters=container.dead_letters,
        handlers={SubsidyDueV1: instruct_payments(container), SubsidyDueV2: instruct_payments(container)},
    ), EventConsumer(
        topic=Topic.RECONCILIATION_ITEMS, group_id=GROUP, pool=container.pool, dead_letters=container.dead_letters,
        handlers={ReturnFoundV1: service.return_payments},
    )]


def instruct_payments(container: Disbursement) -> Callable[[asyncpg.Connection, list[Envelope]], Awaitable[list]]:
    async def handle(conn: asyncpg.Connection, envelopes: list[Envelope]) -> list[Envelope]:
        return await service.instruct_payments(conn, envelopes, vault=container.vault)

    return handle


def reissue_payments(container: Disbursement) -> Callable[[asyncpg.Connection, list[Envelope]], Awaitable[list]]:
    async def handle(conn: asyncpg.Connection, envelopes: list[Envelope]) -> list[Envelope]:
        return await service.reissue_payments(conn, envelopes, vault=container.vault)

    return handle
