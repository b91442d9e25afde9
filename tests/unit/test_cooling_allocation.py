"""Sharing kits among sites: largest remainder, never above a site's need, totals exact; awkward numbers."""

from hypothesis import given
from hypothesis import strategies as st

from cooling.domain import allocate, kits_in


def test_more_sites_than_kits():
    plan = allocate(3, {"a": 10, "b": 10, "c": 10, "d": 10, "e": 10})
    assert sum(plan.values()) == 3 and set(plan.values()) == {1}
    assert plan == {"a": 1, "b": 1, "c": 1}, "equal needs: the site codes break the tie, the same every time"


def test_zero_headcounts_get_nothing():
    assert allocate(10, {"a": 0, "b": 4, "c": 0}) == {"b": 4}
    assert allocate(5, {"a": 0}) == {} and allocate(0, {"a": 3}) == {}


def test_one_kit_left_goes_to_the_largest_remainder():
    # 7 kits for needs 5, 3, 2 (total 10): quotas 3.5, 2.1, 1.4 -> 3, 2, 1 and the one left to a (0.5)
    assert allocate(7, {"a": 5, "b": 3, "c": 2}) == {"a": 4, "b": 2, "c": 1}


def test_a_site_added_mid_campaign_shares_what_is_left_without_moving_what_shipped():
    shipped = {"a": 40, "b": 30}
    headcount = {"a": 50, "b": 40, "new": 30}
    still_needed = {site: headcount[site] - shipped.get(site, 0) for site in headcount}
    plan = allocate(25, still_needed)
    assert plan == {"a": 5, "b": 5, "new": 15} and sum(plan.values()) == 25


def test_the_scarcest_item_decides_how_many_kits_the_stock_makes():
    kit = {"water": 12, "herbal_tea": 6, "huoxiang": 2}
    assert kits_in({"water": 1200, "herbal_tea": 599, "huoxiang": 400}, kit) == 99
    assert kits_in({"water": 1200}, kit) == 0


@given(st.integers(0, 5000), st.dictionaries(st.text("abcdefgh", min_size=1, max_size=3), st.integers(0, 400),
                                             max_size=40))
def test_shares_add_up_exactly_and_never_exceed_a_need(kits, need):
    plan = allocate(kits, need)
    assert sum(plan.values()) == min(kits, sum(need.values()))
    assert all(0 < plan[site] <= need[site] for site in plan)
    quota = {site: kits * n / max(sum(need.values()), 1) for site, n in need.items()}
    assert all(abs(plan.get(site, 0) - quota[site]) < 1 for site in need if kits < sum(need.values()))
