"""Synthetic members for demos and benchmarks: valid national IDs, names, accounts, households whose
income and causes grade to a hardship level under every shipped region's standards (低保 900 to 1,195
yuan per head, relative hardship below 150 % of it), and the dirt real rosters carry (full-width
digits, a lowercase x, stray spaces, rows that are wrong)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from siji_shared.pii import national_id_check_digit

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志海燕"
REGION_CODES = {"taicang": "320585", "fuzhou": "361002", "yancheng": "320902"}
HARDSHIP_HEADER = ["序号", "姓名", "身份证号", "家庭人口", "家庭月收入", "致困原因"]
BIRTH_DAYS = 35 * 365
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@dataclass(frozen=True)
class Member:
    national_id: str
    name: str
    account: str
    level: str | None          # the level the household grades to; None: not a hardship household
    household_size: int
    income_fen_per_month: int
    causes: str                # as the roster writes them, e.g. 意外
    on_hardship_roster: bool   # False: never applied for a file (no 建档 at all)

    def hardship_cells(self) -> list[object]:
        return [self.household_size, f"{self.income_fen_per_month // 100}.{self.income_fen_per_month % 100:02d}",
                self.causes]


def household(rng: random.Random, level: str | None) -> tuple[int, int, str]:
    """(size, income per month in fen, causes) that grade to `level` under every shipped standard."""
    size = rng.randint(1, 5)
    per_head_yuan = {"deep": rng.randint(300, 850), "relative": rng.randint(1300, 1340),
                     "accident": rng.randint(2000, 4000), None: rng.randint(4000, 9000)}[level]
    causes = rng.choice(["意外", "大病"]) if level == "accident" else rng.choice(["", "因病", "因学", "因残"])
    return size, size * per_head_yuan * 100, causes


def members(count: int, *, region: str, seed: int = 7) -> list[Member]:
    """`count` distinct members, a realistic mix: most in deep or relative hardship, some by accident,
    a few never on the hardship roster, and a few on it whose income is above the line (their files are
    refused with the reason, and their cases assessed ineligible)."""
    rng = random.Random(seed)
    first_day = rng.randrange(BIRTH_DAYS)
    result = []
    for i in range(count):
        # (birth day, sequence number) differs for every i: the IDs are distinct by construction
        birth = date(1960, 1, 1) + timedelta(days=(first_day + (i // 1000) * 97) % BIRTH_DAYS)
        first17 = f"{REGION_CODES[region]}{birth:%Y%m%d}{i % 1000:03d}"
        draw = rng.random()
        level = "deep" if draw < 0.30 else "relative" if draw < 0.82 else "accident" if draw < 0.97 else None
        size, income, causes = household(rng, level)
        result.append(Member(
            national_id=first17 + national_id_check_digit(first17),
            name=rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
            account=f"6222{rng.randrange(10**14, 10**15)}",
            level=level, household_size=size, income_fen_per_month=income, causes=causes,
            on_hardship_roster=level is not None or rng.random() < 0.6,
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
