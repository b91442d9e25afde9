"""The outbox publishes exactly the committed events, in order per key, and none of a rolled-back one."""

import asyncio
import uuid

import pytest

from contracts import decode
from contracts.topics import Topic
from siji_shared import inbox, outbox
from siji_shared.outbox import OutboxRelay
from support.events import case_registered, envelope_of
from support.kafka import eventually, read_topic


class Rollback(Exception):
    pass


async def test_relay_publishes_committed_events_only_and_in_key_order(infra, pool, schema):
    campaign = f"outbox-{uuid.uuid4().hex[:8]}"
    one_case = uuid.uuid4()
    committed = [envelope_of(case_registered(campaign, case_id=one_case, year=2000 + i)) for i in range(20)]
    rolled_back = [envelope_of(case_registered(campaign)) for _ in range(5)]

    for chunk in (committed[:10], committed[10:]):
        async with pool.acquire() as conn, conn.transaction():
            await outbox.stage(conn, chunk)
    with pytest.raises(Rollback):
        async with pool.acquire() as conn, conn.transaction():
            await outbox.stage(conn, rolled_back)
            raise Rollback

    relay = OutboxRelay(pool, schema=schema, kafka=infra.kafka, poll_seconds=0.2)
    task = asyncio.create_task(relay.run())
    try:
        mine = lambda records: [decode(r.value) for r in records if campaign.encode() in r.value]  # noqa: E731
        records = await read_topic(infra.kafka, Topic.ELIGIBILITY_ASSESSMENTS,
                                   until=lambda rs: len(mine(rs)) >= len(committed))

        async def all_sent():  # the relay deletes rows once Kafka has acknowledged them
            async with pool.acquire() as conn:
                return await conn.fetchval("SELECT count(*) FROM outbox") == 0
        await eventually(all_sent)
    finally:
        task.cancel()

    seen = [e.event_id for e in mine(records)]
    assert seen == [e.event_id for e in committed], "exactly the committed events, in commit order for one key"
    assert not {e.event_id for e in rolled_back} & set(seen)


async def test_only_one_relay_per_schema_publishes(infra, pool, schema):
    """Two relays on one schema: the second waits on the advisory lock, so per-key order is kept."""
    async with pool.acquire() as conn, conn.transaction():
        await outbox.stage(conn, [envelope_of(case_registered(f"leader-{uuid.uuid4().hex[:8]}")) for _ in range(3)])
    relays = [OutboxRelay(pool, schema=schema, kafka=infra.kafka, poll_seconds=0.2)
              for _ in range(2)]
    tasks = [asyncio.create_task(r.run()) for r in relays]
    try:
        for _ in range(100):
            if sum(r.published for r in relays) == 3:
                break
            await asyncio.sleep(0.1)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert sorted(r.published for r in relays) == [0, 3]


async def test_inbox_claims_are_purged_after_their_retention(infra, pool, schema):
    old, recent = envelope_of(case_registered("inbox-purge")), envelope_of(case_registered("inbox-purge"))
    async with pool.acquire() as conn, conn.transaction():
        assert await inbox.claim(conn, "group-a", [old, recent]) == [old, recent]
        await conn.execute("UPDATE inbox SET received_at = now() - interval '31 days' WHERE event_id = $1",
                           old.event_id)
    relay = OutboxRelay(pool, schema=schema, kafka=infra.kafka)
    async with pool.acquire() as conn:
        assert await relay.purge_inbox(conn) == 1
        assert [r["event_id"] for r in await conn.fetch("SELECT event_id FROM inbox")] == [recent.event_id]


async def test_an_inbox_claim_returns_only_the_ids_its_group_has_not_seen_in_their_order(infra, pool, schema):
    seen, *fresh = [envelope_of(case_registered("inbox-claim")) for _ in range(4)]
    async with pool.acquire() as conn, conn.transaction():
        assert await inbox.claim(conn, "group-a", [seen]) == [seen]
        assert await inbox.claim(conn, "group-a", [fresh[0], seen, fresh[1], fresh[0], fresh[2]]) == fresh, \
            "a batch holding a claimed id: the rest claimed, each once, in order"
        assert await inbox.claim(conn, "group-a", [seen, *fresh]) == []
        assert await inbox.claim(conn, "group-b", [seen]) == [seen], "another group has its own claims"
        assert await conn.fetchval("SELECT count(*) FROM inbox WHERE event_id = ANY($1)",
                                   [e.event_id for e in [seen, *fresh]]) == 5
