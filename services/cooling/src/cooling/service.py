"""Cooling's use cases: a campaign and its kit, sites, registrations (from eligibility), stock received,
the allocation plan, shipments and their delivery counts, hand-outs (live and uploaded from offline
stations), returns, write-offs and the report. Every item moves by double entry (repository.move), so
received = handed out + in stock + in transit + written off holds by construction; the report shows it.
Each use case returns its answer and the events it emits; its caller stages them."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import date
from typing import Any, Literal
from uuid import UUID

import asyncpg
import structlog
from pydantic import AwareDatetime, BaseModel, Field, model_validator
from uuid_utils.compat import uuid7

from contracts import Envelope, new_envelope
from contracts.cooling import (
    KitHandedOutV1,
    OverIssueFoundV1,
    ShipmentDeliveredV1,
    ShipmentDispatchedV1,
    StockReceivedV1,
    StockReturnedV1,
    StockWrittenOffV1,
)
from contracts.eligibility import WorkerRegisteredV1
from contracts.types import Code
from cooling import domain
from cooling import repository as repo
from cooling.repository import HANDED_OUT, SUPPLIER, WRITTEN_OFF, Move, site, transit, warehouse
from siji_shared.auth import Principal
from siji_shared.pii import InvalidNationalId, PiiVault, normalise_national_id, validate_national_id
from siji_shared.usecase import Done

PRODUCER = "cooling"
MAX_BATCH = 5000
SHOWN_OVER_ISSUES = 200
log = structlog.get_logger(__name__)
Items = dict[str, int]
ItemCounts = dict[Code, int]


class NotFound(LookupError):
    pass


class Conflict(ValueError):
    pass


class CampaignIn(BaseModel):
    campaign: Code
    title: str = Field(min_length=1, max_length=200)
    starts_on: date
    ends_on: date
    kit: ItemCounts = Field(min_length=1, description="items per worker: {\"water\": 12, \"herbal_tea\": 6, ...}")

    @model_validator(mode="after")
    def _sane(self) -> CampaignIn:
        if self.ends_on < self.starts_on:
            raise ValueError("the campaign ends before it starts")
        if any(q <= 0 for q in self.kit.values()):
            raise ValueError("every item of the kit needs a quantity above zero")
        return self


class SiteIn(BaseModel):
    site: Code
    name: str = Field(min_length=1, max_length=200)
    region: Code
    kind: Literal["station", "worksite"] = "station"
    open_24h: bool = False


class StockIn(BaseModel):
    warehouse: Code
    delivery_note: str = Field(min_length=1, max_length=100, description="the supplier's delivery note (送货单)")
    items: ItemCounts = Field(min_length=1)


class DeliveryIn(BaseModel):
    counted: ItemCounts = Field(description="what the site counted, per item")


class HandoutRecord(BaseModel):
    national_id: str = Field(min_length=1, max_length=40, description="scanned from the ID or member card")
    at: AwareDatetime = Field(description="when the station handed the kit out, by its own clock")
    station_ref: str = Field(min_length=1, max_length=64, description="the station's own record number")


class HandoutsIn(BaseModel):
    site: Code
    recorded: Literal["live", "offline"] = Field(description="live: scanned now; offline: uploaded later")
    records: list[HandoutRecord] = Field(min_length=1, max_length=MAX_BATCH)


class MoveIn(BaseModel):
    site: Code
    warehouse: Code
    items: ItemCounts = Field(min_length=1)


class WriteOffIn(BaseModel):
    location: str = Field(pattern=r"^(warehouse|site):[a-z0-9][a-z0-9._-]*$", description="warehouse:<code> or site:<code>")
    items: ItemCounts = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=500)


def _event(payload: Any) -> Envelope:
    return new_envelope(payload, producer=PRODUCER)


async def _campaign(conn: asyncpg.Connection, code: str) -> asyncpg.Record:
    found = await repo.campaign(conn, code)
    if found is None:
        raise NotFound(f"没有此活动（no cooling campaign {code}）")
    return found


async def create_campaign(conn: asyncpg.Connection, who: Principal, body: CampaignIn) -> Done:
    if not await repo.create_campaign(conn, campaign=body.campaign, region=who.region, title=body.title,
                                      starts_on=body.starts_on, ends_on=body.ends_on, kit=body.kit, created_by=who.user):
        raise Conflict(f"campaign {body.campaign} exists already")
    return Done({"campaign": body.campaign, "region": who.region, "kit": body.kit})


async def add_sites(conn: asyncpg.Connection, who: Principal, campaign: str, sites: list[SiteIn]) -> Done:
    await _campaign(conn, campaign)
    await repo.upsert_sites(conn, campaign, [(s.site, s.name, s.region, s.kind, s.open_24h) for s in sites])
    return Done({"sites": len(sites)})


async def record_registrations(conn: asyncpg.Connection, envelopes: list[Envelope[WorkerRegisteredV1]]) -> list[Envelope]:
    """Consumer of eligibility.cases: each approved registration counts once at its site."""
    await repo.insert_registrations(conn, [(e.payload.campaign, e.payload.worker_ref, e.payload.site, e.payload.region,
                                            e.payload.occupation, e.payload.case_id) for e in envelopes])
    return []


async def receive_stock(conn: asyncpg.Connection, who: Principal, campaign: str, body: StockIn) -> Done:
    """Goods in, once per delivery note."""
    await _campaign(conn, campaign)
    if not await repo.insert_receipt(conn, campaign, delivery_note=body.delivery_note, warehouse_code=body.warehouse,
                                     items=body.items, by=who.user):
        return Done({"delivery_note": body.delivery_note, "status": "already_received"})
    await repo.move(conn, campaign, [Move(SUPPLIER, warehouse(body.warehouse), item, quantity, "receive",
                                          body.delivery_note) for item, quantity in body.items.items()])
    return Done({"delivery_note": body.delivery_note, "status": "received"}, [_event(StockReceivedV1(
        campaign=campaign, warehouse=body.warehouse, items=body.items, delivery_note=body.delivery_note,
        received_by=who.user))])


async def replan(conn: asyncpg.Connection, who: Principal, campaign: str) -> Done:
    """Share the kits the warehouses' stock makes among the sites by what each still needs; re-run as
    stock arrives or sites are added: what has shipped never moves."""
    kit = (await _campaign(conn, campaign))["kit"]
    stock: Counter[str] = Counter()
    for r in await repo.balances(conn, campaign):
        if r["location"].startswith("warehouse:"):
            stock[r["item"]] += r["quantity"]
    kits = domain.kits_in(stock, _kit(kit))
    need = {r["site"]: r["headcount"] - r["shipped"] for r in await repo.demand(conn, campaign)}
    plan = domain.allocate(kits, need)
    await repo.replace_plan(conn, campaign, plan)
    log.info("allocation planned", campaign=campaign, kits_in_stock=kits, planned=sum(plan.values()), sites=len(plan),
             by=who.user)
    return Done({"kits_in_stock": kits, "still_needed": sum(max(n, 0) for n in need.values()),
                 "planned": sum(plan.values()), "sites": len(plan), "plan": plan})


async def dispatch(conn: asyncpg.Connection, who: Principal, campaign: str, warehouse_code: str) -> Done:
    """Ship the plan from one warehouse, site by site, while its stock makes whole kits."""
    kit = _kit((await _campaign(conn, campaign))["kit"])
    plan = await repo.plan(conn, campaign)
    stock = (await repo.lock_balances(conn, campaign, [warehouse(warehouse_code)])).get(warehouse(warehouse_code), {})
    left = domain.kits_in(stock, kit)
    shipments, moves, events, shipped_sites = [], [], [], []
    for code, kits in plan.items():
        kits = min(kits, left)
        if kits <= 0:
            break
        left -= kits
        shipment_id = uuid7()
        items = domain.kit_items(kit, kits)
        shipments.append((shipment_id, code, kits, items))
        shipped_sites.append(code)
        moves += [Move(warehouse(warehouse_code), transit(shipment_id), item, n, "dispatch", str(shipment_id))
                  for item, n in items.items()]
        events.append(_event(ShipmentDispatchedV1(campaign=campaign, shipment_id=shipment_id, warehouse=warehouse_code,
                                                  site=code, kits=kits, items=items)))
    await repo.insert_shipments(conn, campaign, warehouse_code, shipments)
    await repo.move(conn, campaign, moves)
    await repo.clear_plan(conn, campaign, shipped_sites)
    return Done({"shipments": [{"shipment_id": str(s[0]), "site": s[1], "kits": s[2]} for s in shipments],
                 "kits": sum(s[2] for s in shipments)}, events)


async def confirm_delivery(conn: asyncpg.Connection, who: Principal, shipment_id: UUID, body: DeliveryIn) -> Done:
    """The site's count: what arrived goes into its stock; less than sent is a shortage (written off,
    lost in transit), more is a surplus (taken into the site's stock as found)."""
    shipment = await repo.lock_shipment(conn, shipment_id)
    if shipment is None:
        raise NotFound(f"no shipment {shipment_id}")
    if shipment["status"] == "delivered":
        if _kit(shipment["counted"]) != body.counted:
            raise Conflict(f"shipment {shipment_id} was counted already, with other figures")
        return Done({"shipment_id": str(shipment_id), "status": "already_delivered"})
    sent, counted, campaign, code = _kit(shipment["items"]), body.counted, shipment["campaign"], shipment["site"]
    shortage = {i: sent[i] - counted.get(i, 0) for i in sent if sent[i] > counted.get(i, 0)}
    surplus = {i: n - sent.get(i, 0) for i, n in counted.items() if n > sent.get(i, 0)}
    ref, lost = str(shipment_id), f"短少：运输途中缺失（short on delivery of shipment {shipment_id}, counted at the site）"
    await repo.move(conn, campaign, [
        *(Move(transit(shipment_id), site(code), i, min(n, counted.get(i, 0)), "deliver", ref) for i, n in sent.items()),
        *(Move(transit(shipment_id), WRITTEN_OFF, i, n, "shortage", ref, lost) for i, n in shortage.items()),
        *(Move(SUPPLIER, site(code), i, n, "surplus", ref, "多出：现场清点多于发货（more than sent, counted at the site）")
          for i, n in surplus.items())])
    await repo.deliver_shipment(conn, shipment_id, counted)
    return Done({"shipment_id": str(shipment_id), "status": "delivered", "shortage": shortage, "surplus": surplus},
                [_event(ShipmentDeliveredV1(campaign=campaign, shipment_id=shipment_id, site=code, counted=counted,
                                            shortage=shortage, surplus=surplus, confirmed_by=who.user))])


async def record_handouts(conn: asyncpg.Connection, vault: PiiVault, who: Principal, campaign: str,
                          body: HandoutsIn) -> Done:
    """A station's hand-outs: live scans as they happen, or an offline station's records uploaded later
    with its own times. One kit per worker and campaign: a live second attempt is refused with where and
    when the first happened; two offline stations that served one worker are resolved: the earlier keeps
    the kit, the later is an over-issue item to explain. A record uploaded again changes nothing."""
    kit = _kit((await _campaign(conn, campaign))["kit"])
    answers: list[dict[str, Any]] = [{} for _ in body.records]
    refs: dict[int, str] = {}
    for n, record in enumerate(body.records):
        try:
            refs[n] = vault.lookup_hash(validate_national_id(normalise_national_id(record.national_id)))
        except InvalidNationalId as exc:
            answers[n] = {"index": n, "status": "refused", "reason": str(exc)}
    registered = await repo.registered_workers(conn, campaign, sorted(set(refs.values())))
    seen = await repo.recorded_refs(conn, campaign, body.site, [r.station_ref for r in body.records])
    kept = {ref: (r["handout_id"], r["site"], r["at"]) for ref, r in
            (await repo.kept_handouts(conn, campaign, sorted(set(refs.values())))).items()}
    stock = (await repo.lock_balances(conn, campaign, [site(body.site)])).get(site(body.site), {})
    kits_left = domain.kits_in(stock, kit)
    order = sorted(refs, key=lambda n: body.records[n].at) if body.recorded == "offline" else sorted(refs)
    new: list[tuple[UUID, str, Any, str, str]] = []
    demoted: list[UUID] = []
    events: list[Envelope] = []
    for n in order:
        record, ref = body.records[n], refs[n]
        if record.station_ref in seen:
            answers[n] = {"index": n, "status": "already_recorded", "handout_id": str(seen[record.station_ref]["handout_id"])}
            continue
        if ref not in registered:
            answers[n] = {"index": n, "status": "refused", "reason": f"未登记：此人未在活动 {campaign} 登记（not registered "
                                                                       f"for campaign {campaign}）"}
            continue
        first = kept.get(ref)
        if first and body.recorded == "live":
            answers[n] = {"index": n, "status": "refused", "reason": (
                f"已领取：{first[2].isoformat()} 于 {first[1]}（already served at {first[1]} on {first[2].isoformat()}）"),
                "first_site": first[1], "first_at": first[2].isoformat()}
            continue
        if kits_left <= 0:
            answers[n] = {"index": n, "status": "refused", "reason": f"站点库存不足（no kit left in the stock of site "
                                                                       f"{body.site}; record it again after a delivery）"}
            continue
        kits_left -= 1
        handout_id = uuid7()
        status = "kept"
        events.append(_event(KitHandedOutV1(campaign=campaign, worker_ref=ref, handout_id=handout_id, site=body.site,
                                            at=record.at, recorded=body.recorded, items=kit)))
        if first and first[2] <= record.at:  # the earlier keeps the kit
            status = "over_issue"
            events.append(_event(OverIssueFoundV1(campaign=campaign, worker_ref=ref, handout_id=handout_id,
                                                  site=body.site, at=record.at, kept_handout_id=first[0],
                                                  kept_site=first[1], kept_at=first[2])))
        elif first:
            demoted.append(first[0])
            events.append(_event(OverIssueFoundV1(campaign=campaign, worker_ref=ref, handout_id=first[0], site=first[1],
                                                  at=first[2], kept_handout_id=handout_id, kept_site=body.site,
                                                  kept_at=record.at)))
        if status == "kept":
            kept[ref] = (handout_id, body.site, record.at)
        new.append((handout_id, ref, record.at, status, record.station_ref))
        answers[n] = {"index": n, "status": "handed_out" if status == "kept" else "over_issue",
                      "handout_id": str(handout_id)}
    await repo.demote_handouts(conn, demoted)
    await repo.insert_handouts(conn, campaign, body.site, body.recorded, new)
    await repo.move(conn, campaign, [Move(site(body.site), HANDED_OUT, item, quantity * len(new), "hand_out",
                                          f"{body.site}:{body.recorded}") for item, quantity in kit.items()])
    counts = Counter(str(a.get("status")) for a in answers)
    log.info("hand-outs recorded", campaign=campaign, site=body.site, recorded=body.recorded, **counts)
    return Done({"site": body.site, "recorded": body.recorded, **counts, "records": answers}, events)


async def return_stock(conn: asyncpg.Connection, who: Principal, campaign: str, body: MoveIn) -> Done:
    """A site's surplus back to a warehouse."""
    await _campaign(conn, campaign)
    ref = f"return:{uuid.uuid4()}"
    await repo.move(conn, campaign, [Move(site(body.site), warehouse(body.warehouse), i, n, "return", ref)
                                     for i, n in body.items.items()])
    return Done({"returned": body.items}, [_event(StockReturnedV1(campaign=campaign, site=body.site,
                                                                  warehouse=body.warehouse, items=body.items))])


async def write_off(conn: asyncpg.Connection, who: Principal, campaign: str, body: WriteOffIn) -> Done:
    await _campaign(conn, campaign)
    ref = f"write-off:{uuid.uuid4()}"
    await repo.move(conn, campaign, [Move(body.location, WRITTEN_OFF, i, n, "write_off", ref, body.reason)
                                     for i, n in body.items.items()])
    return Done({"written_off": body.items}, [_event(StockWrittenOffV1(campaign=campaign, location=body.location,
                                                                       items=body.items, reason=body.reason))])


async def report(conn: asyncpg.Connection, campaign: str) -> dict[str, Any]:
    """Coverage (workers reached / registered) per region and site, stock left, shortages, over-issues,
    and per item: received = handed out + in stock + in transit + written off. A site's `reached` counts
    the workers registered there who got their kit anywhere; its `handed_out`, the kits its station
    handed out (to whomever: they left its stock)."""
    await _campaign(conn, campaign)
    sites = await repo.coverage_by_site(conn, campaign)
    given = await repo.handouts_by_site(conn, campaign)
    over = {code: r["over_issues"] for code, r in given.items()}
    stock_by_site: dict[str, dict[str, int]] = {}
    accounts: dict[str, dict[str, int]] = {}
    for r in await repo.balances(conn, campaign):
        where, item, n = r["location"], r["item"], r["quantity"]
        a = accounts.setdefault(item, {"received": 0, "handed_out": 0, "in_stock": 0, "in_transit": 0,
                                       "written_off": 0})
        key = {"supplier": "received", "handed_out": "handed_out", "written_off": "written_off"}.get(
            where, "in_transit" if where.startswith("transit:") else "in_stock")
        a[key] += -n if where == SUPPLIER else n
        if where.startswith("site:"):
            stock_by_site.setdefault(where.removeprefix("site:"), {})[item] = n
    for a in accounts.values():
        a["balanced"] = a["received"] == a["handed_out"] + a["in_stock"] + a["in_transit"] + a["written_off"]
    regions: dict[str, dict[str, int]] = {}
    for s in sites:
        r = regions.setdefault(s["region"], {"registered": 0, "reached": 0, "over_issues": 0})
        r["registered"] += s["registered"]
        r["reached"] += s["reached"]
        r["over_issues"] += over.get(s["site"], 0)
    shortages = {r["item"]: r["quantity"] for r in await repo.movements_by_kind(conn, campaign) if r["kind"] == "shortage"}
    registered, reached = sum(s["registered"] for s in sites), sum(s["reached"] for s in sites)
    return {
        "campaign": campaign, "registered": registered, "reached": reached,
        "coverage_percent": round(100 * reached / registered, 2) if registered else 0.0,
        "over_issues": sum(over.values()), "regions": regions,
        "sites": [{**dict(s), "handed_out": given[s["site"]]["handed_out"] if s["site"] in given else 0,
                   "over_issues": over.get(s["site"], 0), "stock": stock_by_site.get(s["site"], {})} for s in sites],
        "items": accounts, "accounts_balanced": all(a["balanced"] for a in accounts.values()),
        "shortages": shortages,
        "over_issue_items": [{"handout_id": str(r["handout_id"]), "site": r["site"], "at": r["at"].isoformat(),
                              "kept_site": r["kept_site"], "kept_at": r["kept_at"].isoformat()}
                             for r in await repo.over_issues(conn, campaign, SHOWN_OVER_ISSUES)],
    }


def _kit(value: Any) -> Items:
    """jsonb comes back as text from asyncpg."""
    return {str(k): int(v) for k, v in (json.loads(value) if isinstance(value, str) else value).items()}
