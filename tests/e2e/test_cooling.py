"""A Fuzhou-sized summer-cooling campaign (37,000 workers, 300 stations) through the running services,
Kafka and PostgreSQL: every item accounted for, no worker served twice without an over-issue, and the
coverage report matching the hand-out events on Kafka."""

from collections import Counter

from contracts import decode
from contracts.cooling import KitHandedOutV1, OverIssueFoundV1
from contracts.topics import Topic
from siji_cli.cooling_season import CoolingSeason
from siji_shared.kafka import read_all


async def test_a_fuzhou_sized_campaign_accounts_for_every_item_and_every_worker(infra, deployment):
    summary = await CoolingSeason(deployment, region="fuzhou", show_progress=False).run()
    assert summary["registered"] == summary["import"]["eligible"] > 36_000
    assert summary["workers_listed"] == summary["import"]["accepted"] + summary["import"]["rejected"] > 37_000
    assert summary["accounts_balanced"] is True
    for item, account in summary["items"].items():
        assert account["received"] == account["handed_out"] + account["in_stock"] + account["in_transit"] + \
            account["written_off"] > 0, item
        assert account["in_transit"] == 0, "every shipment was counted at its site"
    assert summary["deliveries"]["short"] > 0 and summary["shortages"]["water"] > 0
    assert summary["over_issues"] == 4, "the four workers served at two offline stations, each reported"

    events = [decode(r.value or b"") for r in await read_all(infra.kafka, Topic.COOLING_HANDOUTS)]
    mine = [e.payload for e in events if e.payload.campaign == summary["campaign"]]
    handed = [p for p in mine if isinstance(p, KitHandedOutV1)]
    over = {p.handout_id for p in mine if isinstance(p, OverIssueFoundV1)}
    kept = Counter(p.worker_ref for p in handed if p.handout_id not in over)
    assert len(kept) == summary["reached"] and max(kept.values()) == 1, "one kit kept per worker"
    assert len(handed) - len(over) == summary["reached"] and len(over) == summary["over_issues"]
    assert summary["items"]["water"]["handed_out"] == 12 * len(handed)
