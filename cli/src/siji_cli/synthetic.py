"""Synthetic members for demos and benchmarks: valid national IDs, names, accounts, hardship levels."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from siji_shared.pii import national_id_check_digit

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志海燕"
REGION_CODES = {"taicang": "320585", "fuzhou": "361002", "yancheng": "320902"}


@dataclass(frozen=True)
class Member:
    national_id: str
    name: str
    account: str
    level: str | None          # None: no hardship file (建档) at all
    file_valid_until: date


def members(count: int, *, region: str, seed: int = 7, today: date | None = None) -> list[Member]:
    """A realistic mix: most registered deep/relative hardship, some accident cases, a few with no file
    or an expired one (they are assessed ineligible, with the reason)."""
    rng = random.Random(seed)
    today = today or date.today()
    result = []
    for i in range(count):
        birth = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 35 * 365))
        first17 = f"{REGION_CODES[region]}{birth:%Y%m%d}{i % 1000:03d}"
        national_id = first17 + national_id_check_digit(first17)
        draw = rng.random()
        level = "deep" if draw < 0.30 else "relative" if draw < 0.82 else "accident" if draw < 0.97 else None
        expired = rng.random() < 0.02
        valid_until = today - timedelta(days=30) if expired else today + timedelta(days=365)
        result.append(Member(
            national_id=national_id,
            name=rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
            account=f"6222{rng.randrange(10**14, 10**15)}",
            level=level,
            file_valid_until=valid_until,
        ))
    return _unique_ids(result)


def _unique_ids(result: list[Member]) -> list[Member]:
    seen: set[str] = set()
    unique = []
    for member in result:
        if member.national_id not in seen:
            seen.add(member.national_id)
            unique.append(member)
    return unique
