"""Synthetic members for demos and benchmarks: valid national IDs, names, accounts, households whose
income and causes grade to a hardship level under every shipped region's standards (低保 900 to 1,195
yuan per head, relative hardship below 150 % of it), and the dirt real rosters carry (full-width
digits, a lowercase x, stray spaces, rows that are wrong)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from stdnum.cn import uscc

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


ENTERPRISE_KINDS = "科技 商贸 餐饮 物流 制造 家政 电子 服装 建材 农业".split()
REGION_DIVISIONS = {"taicang": ("320585", "太仓"), "fuzhou": ("350100", "福州"), "yancheng": ("320900", "盐城")}
CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass(frozen=True)
class Enterprise:
    """A small or micro enterprise applying for an interest-subsidised loan (创业担保贷款)."""

    credit_code: str  # 统一社会信用代码
    name: str
    account: str
    staff_count: int
    new_hires: int
    wage_arrears: bool
    social_insurance_arrears: bool
    amount_fen: int
    term_months: int
    method: str

    def application(self) -> dict[str, object]:
        return {"borrower_kind": "enterprise", "credit_code": self.credit_code, "name": self.name,
                "payee_account": self.account, "staff_count": self.staff_count, "new_hires": self.new_hires,
                "wage_arrears": self.wage_arrears, "social_insurance_arrears": self.social_insurance_arrears,
                "amount_fen": self.amount_fen, "term_months": self.term_months, "method": self.method}


def enterprises(count: int, *, region: str, seed: int = 11) -> list[Enterprise]:
    """Fuzhou's shape: CNY 290 million to 1,866 enterprises is about CNY 155,000 each (a long tail up to
    the CNY 4 million cap), 18,000+ jobs is about 10 new hires each; 2 % in arrears, 2 % hiring too few,
    a few asking for more than the term cap. Loans mostly interest-only (先息后本), some in instalments."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        division, city = REGION_DIVISIONS[region]
        body = f"91{division}" + "".join(rng.choice(CODE_ALPHABET) for _ in range(9))
        staff = rng.randint(8, 120)
        hires = max(1, round(staff * rng.uniform(0.11, 0.2)))
        if rng.random() < 0.02:
            hires = max(0, staff // 20 - 1)
        yuan = min(4_000_000, max(30_000, int(rng.lognormvariate(11.8, 0.55)) // 1000 * 1000))
        out.append(Enterprise(
            credit_code=body + uscc.calc_check_digit(body), name=f"{city}{ENTERPRISE_KINDS[i % 10]}有限公司{i + 1:04d}",
            account=f"6217{rng.randrange(10 ** 14, 10 ** 15)}", staff_count=staff, new_hires=hires,
            wage_arrears=rng.random() < 0.01, social_insurance_arrears=rng.random() < 0.01, amount_fen=yuan * 100,
            term_months=26 if rng.random() < 0.01 else 24,
            method=rng.choices(["interest_only", "equal_instalment", "equal_principal"], [6, 3, 1])[0]))
    return out
