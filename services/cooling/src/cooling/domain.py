"""Cooling's rules, pure: how many whole kits a stock makes, how kits are shared among sites (largest
remainder, so the totals match exactly), and which of two hand-outs to one worker keeps the kit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

Items = dict[str, int]


def kits_in(stock: Mapping[str, int], kit: Mapping[str, int]) -> int:
    """Whole kits the stock makes up: the scarcest item decides."""
    return min((stock.get(item, 0) // quantity for item, quantity in kit.items()), default=0)


def kit_items(kit: Mapping[str, int], kits: int) -> Items:
    return {item: quantity * kits for item, quantity in kit.items()}


def allocate(kits: int, demand: Mapping[str, int]) -> dict[str, int]:
    """Share `kits` among sites in proportion to what each still needs (headcount less what it has been
    shipped), never more than that: the largest-remainder (Hamilton) rule, so the shares add up to
    exactly min(kits, total need). Ties go to the larger need, then the site code, so a plan re-run on
    the same figures is the same plan."""
    need = {site: n for site, n in demand.items() if n > 0}
    total = sum(need.values())
    if kits >= total:
        return dict(need)
    if kits <= 0:
        return {}
    shares = {site: kits * n // total for site, n in need.items()}
    remainders = sorted(need, key=lambda site: (-(kits * need[site] % total), -need[site], site))
    for site in remainders[: kits - sum(shares.values())]:
        shares[site] += 1
    return {site: n for site, n in shares.items() if n}


def keeps_the_kit(first_at: datetime, first_id: str, second_at: datetime, second_id: str) -> bool:
    """Whether the first of two hand-outs to one worker keeps the kit: the earlier by the stations'
    clocks; at the same instant, the one recorded first (the lower id) — never both, never neither."""
    return (first_at, first_id) <= (second_at, second_id)
