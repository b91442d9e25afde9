"""Events the cooling service produces (夏送清凉, in kind: counted in items, never fen): stock on
cooling.stock keyed by campaign, so one campaign's item accounts stay in order; hand-outs on
cooling.handouts keyed by worker, so one worker's kits stay in order. Workers are keyed hashes only."""

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from contracts.envelope import EventPayload, register
from contracts.topics import Topic
from contracts.types import Code

Items = dict[str, int]  # item code -> quantity, e.g. {"water": 12, "herbal_tea": 6}


class StockEvent(EventPayload):
    topic: ClassVar[Topic] = Topic.COOLING_STOCK

    campaign: Code

    def partition_key(self) -> str:
        return self.campaign

    def correlation(self) -> str:
        return self.campaign


@register
class StockReceivedV1(StockEvent):
    """Goods received into a warehouse, with the supplier's delivery note (送货单)."""

    event_type: ClassVar[str] = "stock.received"
    schema_version: ClassVar[int] = 1

    warehouse: Code
    items: Items
    delivery_note: str = Field(min_length=1, max_length=100)
    received_by: str


@register
class ShipmentDispatchedV1(StockEvent):
    event_type: ClassVar[str] = "shipment.dispatched"
    schema_version: ClassVar[int] = 1

    shipment_id: UUID
    warehouse: Code
    site: Code
    kits: int = Field(ge=1)
    items: Items


@register
class ShipmentDeliveredV1(StockEvent):
    """The site confirmed what it counted; a difference from what was sent is a shortage (lost in transit,
    written off with the reason) or a surplus (more than sent: taken into the site's stock)."""

    event_type: ClassVar[str] = "shipment.delivered"
    schema_version: ClassVar[int] = 1

    shipment_id: UUID
    site: Code
    counted: Items
    shortage: Items = Field(default_factory=dict)
    surplus: Items = Field(default_factory=dict)
    confirmed_by: str


@register
class StockReturnedV1(StockEvent):
    """A site's surplus back to a warehouse."""

    event_type: ClassVar[str] = "stock.returned"
    schema_version: ClassVar[int] = 1

    site: Code
    warehouse: Code
    items: Items


@register
class StockWrittenOffV1(StockEvent):
    event_type: ClassVar[str] = "stock.written_off"
    schema_version: ClassVar[int] = 1

    location: str
    items: Items
    reason: str = Field(min_length=1, max_length=500)


class HandoutEvent(EventPayload):
    topic: ClassVar[Topic] = Topic.COOLING_HANDOUTS

    campaign: Code
    worker_ref: str = Field(min_length=16, max_length=64)

    def partition_key(self) -> str:
        return self.worker_ref

    def correlation(self) -> str:
        return self.campaign


@register
class KitHandedOutV1(HandoutEvent):
    """A worker's kit, at a station, at the time the station recorded it (its own clock when it was
    offline and uploaded later). The items left the site's stock either way."""

    event_type: ClassVar[str] = "kit.handed_out"
    schema_version: ClassVar[int] = 1

    handout_id: UUID
    site: Code
    at: AwareDatetime
    recorded: Literal["live", "offline"]
    items: Items


@register
class OverIssueFoundV1(HandoutEvent):
    """A worker served twice while the stations could not know (both offline): the earlier hand-out keeps
    the kit, the later (`handout_id`) is an over-issue for the site to explain, never silent."""

    event_type: ClassVar[str] = "kit.over_issued"
    schema_version: ClassVar[int] = 1

    handout_id: UUID
    site: Code
    at: AwareDatetime
    kept_handout_id: UUID
    kept_site: Code
    kept_at: AwareDatetime
