"""Synthetic members for demos and benchmarks: valid national IDs, names, accounts, hardship levels,
and the dirt real rosters carry (full-width digits, a lowercase x, stray spaces, rows that are wrong)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from siji_shared.pii import national_id_check_digit

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志海燕"
REGION_CODES = {"taicang": "320585", "fuzhou": "361002", "yancheng": "320902"}
LEVEL_LABELS = {"deep": "深度困难", "relative": "相对困难", "accident": "意外致困"}
BIRTH_DAYS = 35 * 365
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@dataclass(frozen=True)
class Member:
    national_id: str
    name: str
    account: str
    level: str | None          # None: no hardship file (建档) at all
    file_valid_until: date


def members(count: int, *, region: str, seed: int = 7, today: date | None = None) -> list[Member]:
    """`count` distinct members, a realistic mix: most registered deep/relative hardship, some accident
    cases, a few with no file or an expired one (they are assessed ineligible, with the reason)."""
    rng = random.Random(seed)
    today = today or date.today()
    first_day = rng.randrange(BIRTH_DAYS)
    result = []
    for i in range(count):
        # (birth day, sequence number) differs for every i: the IDs are distinct by construction
        birth = date(1960, 1, 1) + timedelta(days=(first_day + (i // 1000) * 97) % BIRTH_DAYS)
        first17 = f"{REGION_CODES[region]}{birth:%Y%m%d}{i % 1000:03d}"
        draw = rng.random()
        expired = rng.random() < 0.02
        result.append(Member(
            national_id=first17 + national_id_check_digit(first17),
            name=rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
            account=f"6222{rng.randrange(10**14, 10**15)}",
            level="deep" if draw < 0.30 else "relative" if draw < 0.82 else "accident" if draw < 0.97 else None,
            file_valid_until=today - timedelta(days=30) if expired else today + timedelta(days=365),
        ))
    return result


def untidy(national_id: str, i: int) -> str:
    """How IDs arrive in a roster typed by hand: now and then full-width, a lowercase x, stray spaces.
    The import normalises these; the member is the same."""
    if i % 97 == 1:
        return national_id.translate(FULL_WIDTH)
    if i % 89 == 2:
        return f" {national_id[:6]} {national_id[6:]}　"
    return national_id.lower()


def dirty_rows(count: int, *, region: str) -> list[list[str]]:
    """Rows a caseworker must fix, one kind after another: a wrong check digit, an old 15-digit ID, an
    account that is not one, an empty name, an impossible birth date."""
    code = REGION_CODES[region]
    first17 = f"{code}19800101999"
    good_check = national_id_check_digit(first17)
    wrong_check = next(c for c in "0123456789X" if c != good_check)
    kinds = [
        ["钱多多", first17 + wrong_check, "6222020200112233445"],
        ["孙小小", f"{code}800101123", "6222020200112233446"],
        ["周一一", first17 + good_check, "12-34"],
        ["", f"{code}19800101998" + national_id_check_digit(f"{code}19800101998"), "6222020200112233447"],
        ["吴二二", f"{code}19801301997" + national_id_check_digit(f"{code}19801301997"), "6222020200112233448"],
    ]
    return [kinds[i % len(kinds)] for i in range(count)]
