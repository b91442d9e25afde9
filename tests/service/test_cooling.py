"""The cooling service's use cases on a real PostgreSQL schema: stock, plan, shipments and counts,
hand-outs live and from offline stations, returns, write-offs; every item accounted for."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

import cooling.main
from contracts import new_envelope
from contracts.cooling import KitHandedOutV1, OverIssueFoundV1
from contracts.eligibility import WorkerRegisteredV1
from cooling import service
from cooling.repository import OutOfStock
from cooling.service import CampaignIn, DeliveryIn, HandoutRecord, HandoutsIn, MoveIn, SiteIn, StockIn, WriteOffIn
from siji_cli.synthetic import members
from siji_shared.auth import Role
from siji_shared.db import create_pool, migrate
from support.service import VAULT, principal

CAMPAIGN = "sc-test"
KIT = {"water": 12, "herbal_tea": 6}
STAFF = principal("cw-fz-1", Role.CASEWORKER, "fuzhou")
MORNING = datetime(2026, 7, 15, 8, tzinfo=UTC)


@pytest.fixture
async def pool(infra, schema):
    await migrate(infra.database_url, schema, cooling.main.MIGRATIONS)
    pool = await create_pool(infra.database_url, schema, size=4)
    yield pool
    await pool.close()


async def run(pool, use_case, *args):
    async with pool.acquire() as conn, conn.transaction():
        return await use_case(conn, *args)


async def season(pool, workers: dict[str, int]) -> list:
    """A campaign, its stations, registrations (`workers` per site) and the stock for all but two kits."""
    await run(pool, service.create_campaign, STAFF, CampaignIn(
        campaign=CAMPAIGN, title="夏送清凉", starts_on="2026-07-01", ends_on="2026-09-30", kit=KIT))
    await run(pool, service.add_sites, STAFF, CAMPAIGN, [SiteIn(site=s, name=s, region="fuzhou") for s in workers])
    people = members(sum(workers.values()), region="fuzhou", seed=3)
    registrations, n = [], 0
    for code, count in workers.items():
        for m in people[n:n + count]:
            registrations.append(new_envelope(WorkerRegisteredV1(
                case_id=uuid.uuid4(), campaign=CAMPAIGN, programme="summer-cooling", region="fuzhou", year=2026,
                worker_ref=VAULT.lookup_hash(m.national_id), occupation="courier", site=code, approved_by=("ap-1",),
                rule_set_id="summer-cooling/fuzhou/2026", rule_set_version=1), producer="eligibility"))
        n += count
    await run(pool, service.record_registrations, registrations + registrations[:3])  # redelivered: counted once
    kits = sum(workers.values()) - 2
    await run(pool, service.receive_stock, STAFF, CAMPAIGN, StockIn(
        warehouse="wh", delivery_note="SHD-1", items={"water": 12 * kits, "herbal_tea": 6 * kits}))
    return people


async def report(pool) -> dict:
    async with pool.acquire() as conn:
        return await service.report(conn, CAMPAIGN)


def handouts(site: str, recorded: str, people, times, prefix: str = "r") -> HandoutsIn:
    return HandoutsIn(site=site, recorded=recorded, records=[
        HandoutRecord(national_id=m.national_id, at=t, station_ref=f"{prefix}-{i}")
        for i, (m, t) in enumerate(zip(people, times, strict=True))])


async def test_stock_planned_shipped_counted_handed_out_and_every_item_accounted_for(pool):
    people = await season(pool, {"st-a": 5, "st-b": 3, "st-c": 2})
    plan = (await run(pool, service.replan, STAFF, CAMPAIGN)).body
    assert plan["kits_in_stock"] == 8 and plan["planned"] == 8 and sum(plan["plan"].values()) == 8
    assert plan["plan"] == {"st-a": 4, "st-b": 2, "st-c": 2}, "quotas 4, 2.4, 1.6: the kit left goes to the 0.6"
    shipped = (await run(pool, service.dispatch, STAFF, CAMPAIGN, "wh")).body["shipments"]
    for s in shipped:
        counted = {"water": 12 * s["kits"] - (1 if s["site"] == "st-a" else 0), "herbal_tea": 6 * s["kits"]}
        await run(pool, service.confirm_delivery, STAFF, uuid.UUID(s["shipment_id"]), DeliveryIn(counted=counted))

    live = (await run(pool, service.record_handouts, VAULT, STAFF, CAMPAIGN, handouts(
        "st-a", "live", people[0:3], [MORNING] * 3))).body
    assert live["handed_out"] == 3
    again = (await run(pool, service.record_handouts, VAULT, STAFF, CAMPAIGN, handouts(
        "st-c", "live", people[0:1], [MORNING + timedelta(hours=1)], prefix="c"))).body
    assert again["records"][0]["status"] == "refused" and "st-a" in again["records"][0]["reason"], \
        "a second kit is refused with where and when the first was handed out"
    stranger = members(1, region="taicang", seed=99)[0]
    refused = (await run(pool, service.record_handouts, VAULT, STAFF, CAMPAIGN, handouts(
        "st-c", "live", [stranger], [MORNING], prefix="x"))).body
    assert refused["records"][0]["status"] == "refused" and "not registered" in refused["records"][0]["reason"]

    await run(pool, service.return_stock, STAFF, CAMPAIGN, MoveIn(site="st-c", warehouse="wh",
                                                                  items={"herbal_tea": 6}))
    await run(pool, service.write_off, STAFF, CAMPAIGN, WriteOffIn(location="site:st-c", items={"water": 1},
                                                                   reason="a broken bottle"))
    with pytest.raises(OutOfStock):
        await run(pool, service.write_off, STAFF, CAMPAIGN, WriteOffIn(location="site:st-c", items={"water": 999},
                                                                       reason="more than there is"))
    shown = await report(pool)
    assert (shown["registered"], shown["reached"], shown["over_issues"]) == (10, 3, 0)
    water = shown["items"]["water"]
    assert water == {"received": 96, "handed_out": 36, "in_stock": 58, "in_transit": 0, "written_off": 2,
                     "balanced": True}, "1 short on delivery, 1 broken: 96 = 36 + 58 + 0 + 2"
    assert shown["accounts_balanced"] and shown["shortages"] == {"water": 1}


async def test_two_offline_stations_serving_one_worker_keep_the_earlier_and_report_the_later(pool):
    people = await season(pool, {"st-a": 4, "st-b": 4})
    await run(pool, service.replan, STAFF, CAMPAIGN)
    for s in (await run(pool, service.dispatch, STAFF, CAMPAIGN, "wh")).body["shipments"]:
        await run(pool, service.confirm_delivery, STAFF, uuid.UUID(s["shipment_id"]), DeliveryIn(
            counted={"water": 12 * s["kits"], "herbal_tea": 6 * s["kits"]}))
    worker = people[0]
    later = (await run(pool, service.record_handouts, VAULT, STAFF, CAMPAIGN, handouts(
        "st-a", "offline", [worker], [MORNING + timedelta(hours=2)], prefix="a"))).body
    earlier = await run(pool, service.record_handouts, VAULT, STAFF, CAMPAIGN, handouts(
        "st-b", "offline", [worker], [MORNING], prefix="b"))
    assert later["handed_out"] == 1 and earlier.body["handed_out"] == 1, "the earlier, uploaded second, keeps the kit"
    found = [e.payload for e in earlier.events if isinstance(e.payload, OverIssueFoundV1)]
    assert len(found) == 1 and (found[0].site, found[0].kept_site) == ("st-a", "st-b")
    assert len([e for e in earlier.events if isinstance(e.payload, KitHandedOutV1)]) == 1

    replayed = (await run(pool, service.record_handouts, VAULT, STAFF, CAMPAIGN, handouts(
        "st-b", "offline", [worker], [MORNING], prefix="b"))).body
    assert replayed["records"][0]["status"] == "already_recorded", "an upload sent again changes nothing"
    shown = await report(pool)
    assert (shown["reached"], shown["over_issues"]) == (1, 1)
    assert shown["items"]["water"]["handed_out"] == 24, "both kits left the stations' stock"
    assert shown["over_issue_items"][0]["site"] == "st-a" and shown["accounts_balanced"]
