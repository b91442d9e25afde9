"""The cooling service's use cases on a real PostgreSQL schema: stock, plan, shipments and counts,
hand-outs live and from offline stations, returns, write-offs; every item accounted for."""

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

import cooling.main
from contracts import new_envelope
from contracts.cooling import (
    KitHandedOutV1,
    OverIssueFoundV1,
    ShipmentDeliveredV1,
    ShipmentDispatchedV1,
    StockWrittenOffV1,
)
from contracts.eligibility import WorkerRegisteredV1
from cooling import repository as repo
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
ACCOUNTS = ("received", "handed_out", "in_stock", "in_transit", "written_off")  # received = the sum of the rest


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
    people = await register(pool, workers, seed=3, redeliver=3)
    kits = sum(workers.values()) - 2
    await run(pool, service.receive_stock, STAFF, CAMPAIGN, StockIn(
        warehouse="wh", delivery_note="SHD-1", items={"water": 12 * kits, "herbal_tea": 6 * kits}))
    return people


async def register(pool, workers: dict[str, int], *, seed: int, redeliver: int = 0) -> list:
    """The sites, and `workers` approved registrations at each (the first `redeliver` delivered twice)."""
    await run(pool, service.add_sites, STAFF, CAMPAIGN, [SiteIn(site=s, name=s, region="fuzhou") for s in workers])
    people = members(sum(workers.values()), region="fuzhou", seed=seed)
    registrations, n = [], 0
    for code, count in workers.items():
        for m in people[n:n + count]:
            registrations.append(new_envelope(WorkerRegisteredV1(
                case_id=uuid.uuid4(), campaign=CAMPAIGN, programme="summer-cooling", region="fuzhou", year=2026,
                worker_ref=VAULT.lookup_hash(m.national_id), occupation="courier", site=code, approved_by=("ap-1",),
                rule_set_id="summer-cooling/fuzhou/2026", rule_set_version=1), producer="eligibility"))
        n += count
    await run(pool, service.record_registrations, registrations + registrations[:redeliver])  # counted once
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


async def test_the_item_accounts_match_the_delivery_notes_and_the_events_with_a_shipment_in_transit(pool):
    # The test keeps its own books: what the delivery notes brought in, and what the service's events say
    # left where; the report must agree item by item, with one shipment still on the road.
    people = await season(pool, {"st-a": 6, "st-b": 4, "st-c": 3})
    notes = [("wh", "SHD-1", {"water": 12 * 11, "herbal_tea": 6 * 11}),
             ("wh2", "SHD-2", {"water": 30, "herbal_tea": 7, "sunscreen": 5})]
    events = [e.payload for e in (await run(pool, service.receive_stock, STAFF, CAMPAIGN, StockIn(
        warehouse="wh2", delivery_note="SHD-2", items=notes[1][2]))).events]
    again = await run(pool, service.receive_stock, STAFF, CAMPAIGN, StockIn(warehouse="wh2", delivery_note="SHD-2",
                                                                           items=notes[1][2]))
    assert again.body["status"] == "already_received" and not again.events, "a delivery note counts once"
    await run(pool, service.replan, STAFF, CAMPAIGN)
    dispatched = await run(pool, service.dispatch, STAFF, CAMPAIGN, "wh")
    events += [e.payload for e in dispatched.events]
    by_site = {s["site"]: uuid.UUID(s["shipment_id"]) for s in dispatched.body["shipments"]}
    kits = {s["site"]: s["kits"] for s in dispatched.body["shipments"]}
    # the two warehouses make 12 kits (water 162 / 12, tea 73 / 6) for 13 workers: quotas 5.54, 3.69, 2.77
    # -> 5, 4, 3; "wh" alone makes 11, so st-c gets the 2 left
    assert kits == {"st-a": 5, "st-b": 4, "st-c": 2}
    counts = {"st-a": lambda n: {"water": 12 * n, "herbal_tea": 6 * n - 2},  # 2 teas short
              "st-b": lambda n: {"water": 12 * n + 1, "herbal_tea": 6 * n}}  # 1 water more than sent
    for code, count in counts.items():
        events += [e.payload for e in (await run(pool, service.confirm_delivery, STAFF, by_site[code],
                                                 DeliveryIn(counted=count(kits[code])))).events]
    # st-c's shipment is not counted yet: in transit. Hand-outs at st-a (live, one to a worker of st-b's) and
    # at st-b (uploaded from offline, one to a worker st-a served an hour later: an over-issue)
    recorded = [await run(pool, service.record_handouts, VAULT, STAFF, CAMPAIGN, handouts(
                    "st-a", "live", [*people[0:3], people[7]], [MORNING] * 4, prefix="a")),
                await run(pool, service.record_handouts, VAULT, STAFF, CAMPAIGN, handouts(
                    "st-b", "offline", [people[6], people[8], people[2]], [MORNING - timedelta(hours=1)] * 3,
                    prefix="b"))]
    events += [e.payload for r in recorded for e in r.events]
    assert sum(isinstance(e, OverIssueFoundV1) for e in events) == 1
    events += [e.payload for e in (await run(pool, service.return_stock, STAFF, CAMPAIGN,
                                             MoveIn(site="st-a", warehouse="wh2", items={"water": 5}))).events]
    for body in (WriteOffIn(location="site:st-b", items={"water": 2}, reason="两瓶破损（two bottles broken）"),
                 WriteOffIn(location="warehouse:wh2", items={"sunscreen": 1}, reason="过期（past its date）")):
        events += [e.payload for e in (await run(pool, service.write_off, STAFF, CAMPAIGN, body)).events]

    expected: dict[str, Counter] = {}

    def book(item: str, **amounts: int) -> None:
        expected.setdefault(item, Counter()).update(amounts)

    for _, _, items in notes:
        for item, n in items.items():
            book(item, received=n, in_stock=n)
    delivered = {e.shipment_id for e in events if isinstance(e, ShipmentDeliveredV1)}
    for e in events:
        if isinstance(e, ShipmentDispatchedV1):
            for item, n in e.items.items():
                book(item, in_stock=-n, in_transit=0 if e.shipment_id in delivered else n)
        elif isinstance(e, ShipmentDeliveredV1):
            for item, n in e.counted.items():
                book(item, in_stock=n, received=e.surplus.get(item, 0))
            for item, n in e.shortage.items():
                book(item, written_off=n)
        elif isinstance(e, KitHandedOutV1):
            for item, n in e.items.items():
                book(item, handed_out=n, in_stock=-n)
        elif isinstance(e, StockWrittenOffV1):
            for item, n in e.items.items():
                book(item, written_off=n, in_stock=-n)
    shown = (await report(pool))["items"]
    assert set(shown) == set(expected) == {"water", "herbal_tea", "sunscreen"}
    for item, books in expected.items():
        figures = {k: books[k] for k in ACCOUNTS}
        assert {k: shown[item][k] for k in figures} == figures, item
        assert figures["received"] == sum(v for k, v in figures.items() if k != "received"), "the identity"
    # by hand: water 132 + 30 + 1 found = 163 = 84 handed out (7 kits) + 53 in stock + 24 on the road + 2 broken;
    # tea 66 + 7 = 73 = 42 + 17 + 12 + 2 short
    assert [shown["water"][k] for k in ACCOUNTS] == [163, 84, 53, 24, 2]
    assert [shown["herbal_tea"][k] for k in ACCOUNTS] == [73, 42, 17, 12, 2]
    assert [shown["sunscreen"][k] for k in ACCOUNTS] == [5, 0, 4, 0, 1]


async def test_the_coverage_per_site_matches_the_hand_outs_counted_per_site(pool):
    workers = {"st-a": 5, "st-b": 4, "st-c": 3}
    people = await season(pool, workers)
    await run(pool, service.replan, STAFF, CAMPAIGN)
    for s in (await run(pool, service.dispatch, STAFF, CAMPAIGN, "wh")).body["shipments"]:
        await run(pool, service.confirm_delivery, STAFF, uuid.UUID(s["shipment_id"]), DeliveryIn(
            counted={"water": 12 * s["kits"], "herbal_tea": 6 * s["kits"]}))
    home = {VAULT.lookup_hash(m.national_id): code for code, group in (
        ("st-a", people[0:5]), ("st-b", people[5:9]), ("st-c", people[9:12])) for m in group}
    batches = [handouts("st-a", "live", people[0:3] + [people[9]], [MORNING] * 4, prefix="a"),  # one from st-c
               handouts("st-b", "offline", people[5:7] + [people[1]], [MORNING + timedelta(hours=3)] * 3, prefix="b"),
               handouts("st-c", "offline", people[10:11] + [people[5]], [MORNING - timedelta(hours=1)] * 2, prefix="c")]
    events = [e.payload for b in batches for e in (await run(pool, service.record_handouts, VAULT, STAFF, CAMPAIGN,
                                                             b)).events]
    given = [e for e in events if isinstance(e, KitHandedOutV1)]
    over = {e.handout_id: e.site for e in events if isinstance(e, OverIssueFoundV1)}
    assert len(over) == 2, "people[1] twice (st-b later), people[5] twice (st-b later than st-c)"
    kept = {e.worker_ref for e in given if e.handout_id not in over}
    shown = await report(pool)
    sites = {s["site"]: s for s in shown["sites"]}
    for code, count in workers.items():
        row = sites[code]
        assert row["registered"] == count
        assert row["reached"] == sum(home[ref] == code for ref in kept), f"{code}: its workers served anywhere"
        assert row["handed_out"] == sum(e.site == code for e in given), f"{code}: kits its station handed out"
        assert row["over_issues"] == sum(where == code for where in over.values())
    assert (sites["st-a"]["reached"], sites["st-b"]["handed_out"], sites["st-c"]["reached"]) == (3, 3, 2)
    assert shown["regions"]["fuzhou"] == {"registered": 12, "reached": len(kept), "over_issues": 2}
    assert shown["coverage_percent"] == round(100 * len(kept) / 12, 2)


async def test_a_plan_re_run_after_shipping_with_a_site_added_shares_only_what_is_new(pool):
    await season(pool, {"st-a": 6, "st-b": 4})  # stock for 8 kits
    first = (await run(pool, service.replan, STAFF, CAMPAIGN)).body
    # 8 kits for needs 6 and 4: quotas 4.8 and 3.2 -> 4 and 3, the kit left to the larger remainder (st-a)
    assert first["plan"] == {"st-a": 5, "st-b": 3}
    shipped = (await run(pool, service.dispatch, STAFF, CAMPAIGN, "wh")).body["shipments"]
    assert sorted((s["site"], s["kits"]) for s in shipped) == [("st-a", 5), ("st-b", 3)]
    await run(pool, service.confirm_delivery, STAFF, uuid.UUID(shipped[0]["shipment_id"]), DeliveryIn(
        counted={"water": 12 * shipped[0]["kits"], "herbal_tea": 6 * shipped[0]["kits"]}))  # the other on the road
    nothing = (await run(pool, service.replan, STAFF, CAMPAIGN)).body
    assert (nothing["kits_in_stock"], nothing["planned"], nothing["still_needed"]) == (0, 0, 2)

    await register(pool, {"st-new": 5}, seed=11)  # a station opened mid-campaign
    await run(pool, service.receive_stock, STAFF, CAMPAIGN, StockIn(
        warehouse="wh", delivery_note="SHD-2", items={"water": 12 * 4, "herbal_tea": 6 * 4 + 5}))
    second = (await run(pool, service.replan, STAFF, CAMPAIGN)).body
    # still needed: st-a 6 - 5 = 1, st-b 4 - 3 = 1, st-new 5; 4 kits for 7: quotas 0.571, 0.571, 2.857 -> 0, 0, 2;
    # the two left go to st-new (0.857), then st-a (0.571, tied with st-b on need, first by code)
    assert (second["kits_in_stock"], second["still_needed"]) == (4, 7)
    assert second["plan"] == {"st-a": 1, "st-new": 3}
    again = (await run(pool, service.dispatch, STAFF, CAMPAIGN, "wh")).body["shipments"]
    assert sorted((s["site"], s["kits"]) for s in again) == [("st-a", 1), ("st-new", 3)]
    async with pool.acquire() as conn:
        on_the_road = await repo.shipments_in_transit(conn, CAMPAIGN)
    assert {(r["shipment_id"], r["kits"]) for r in on_the_road} >= {(uuid.UUID(shipped[1]["shipment_id"]),
                                                                     shipped[1]["kits"])}, "what shipped never moved"
    shown = await report(pool)
    assert shown["items"]["water"]["in_transit"] == 12 * (shipped[1]["kits"] + 4) and shown["accounts_balanced"]
    assert shown["items"]["herbal_tea"]["in_stock"] == 6 * 5 + 5, "st-a's delivery and the 5 teas no kit could use"
