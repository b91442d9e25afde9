"""Campaign lists, registration rosters and hardship rosters (花名册) as caseworkers keep them in Excel: read row by row from
a CSV (UTF-8 with or without a BOM, or GB18030 as Excel on Chinese Windows saves it) or an XLSX
(python-calamine), validated and normalised one row at a time. Nothing here touches a database.

Every row comes out either as a typed row or as a RowError with the row number the caseworker sees
(the header is row 1), the column and a reason in Chinese and English. Blank lines are skipped but
keep their numbers; a member listed twice is taken once, the later rows reported as duplicates."""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

from python_calamine import CalamineWorkbook

from eligibility.policy import OCCUPATION_LABELS, Cause, Channel, Occupation, SchoolLevel
from siji_shared.pii import InvalidNationalId, normalise_national_id, validate_national_id


class RosterKind(StrEnum):
    CASES = "cases"
    HARDSHIP_FILES = "hardship_files"
    MEMBERS = "members"
    REGISTRATIONS = "registrations"  # a campaign list of a registration programme (summer cooling)


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # as the caseworker writes it; the first alias
    aliases: tuple[str, ...]
    required: bool = True
    meaning: str = ""


PERSON = (
    Column("national_id", "身份证号", ("身份证号", "身份证号码", "公民身份号码", "证件号码", "national_id"),
           meaning="18-character national ID (GB 11643); full-width digits, a lowercase x and spaces are fine"),
    Column("name", "姓名", ("姓名", "职工姓名", "name"), meaning="the member's name"),
)
HOUSEHOLD = Column("household_id", "户号", ("户号", "户籍编号", "household_id"), required=False,
                   meaning="the household number: members of one household share the household caps")
COLUMNS: dict[RosterKind, tuple[Column, ...]] = {
    RosterKind.CASES: (
        *PERSON,
        Column("payee_account", "银行账号", ("银行账号", "银行卡号", "收款账号", "账号", "payee_account"),
               meaning="12 to 30 digits; spaces and dashes are dropped; keep the Excel column as text"),
        Column("payee_name", "收款人", ("收款人", "收款人姓名", "户名", "payee_name"), required=False,
               meaning="the account holder, when not the member (defaults to 姓名)"),
        Column("school_level", "入学阶段", ("入学阶段", "学段", "school_level"), required=False,
               meaning="autumn education aid: 高中, 中职, 大专, 本科 or 研究生"),
        Column("admission_ref", "录取通知书编号", ("录取通知书编号", "录取通知书", "admission_ref"), required=False,
               meaning="autumn education aid: the admission letter's number, the evidence of admission"),
        Column("out_of_pocket", "自付医疗费用", ("自付医疗费用", "自付医疗费用（元）", "out_of_pocket"), required=False,
               meaning="serious-illness relief: out-of-pocket medical costs this year, in yuan"),
    ),
    RosterKind.HARDSHIP_FILES: (
        *PERSON,
        Column("household_size", "家庭人口", ("家庭人口", "家庭人数", "household_size"),
               meaning="people in the household, 1 to 30"),
        Column("income", "家庭月收入", ("家庭月收入", "家庭月收入（元）", "household_income"),
               meaning="the household's income per month in yuan (元), up to two decimals"),
        Column("causes", "致困原因", ("致困原因", "困难原因", "causes"), required=False,
               meaning="any of 因病, 大病, 因残, 因学, 意外, 失业, separated by 、 or commas"),
        HOUSEHOLD,
    ),
    RosterKind.MEMBERS: (
        *PERSON,
        Column("union_name", "基层工会", ("基层工会", "工会名称", "所在工会", "union_name"),
               meaning="the grassroots union (usually the employer's)"),
        Column("occupation", "职业类别", ("职业类别", "人员类别", "occupation"),
               meaning="一线职工 (frontline, incl. outdoor), 新就业形态 (gig), 医务人员 (medical) or 其他 (other)"),
        Column("model_worker", "劳模", ("劳模", "是否劳模", "model_worker"), required=False,
               meaning="是 / 否 (yes / no)"),
        Column("hardship_cadre", "困难工会干部", ("困难工会干部", "hardship_cadre"), required=False,
               meaning="是 / 否 (yes / no)"),
        HOUSEHOLD,
    ),
    RosterKind.REGISTRATIONS: (
        *PERSON,
        Column("job", "职业", ("职业", "工种", "职业类别", "occupation"),
               meaning="the worker's occupation, its label or its code: " + ", ".join(
                   f"{o.label} ({o.value})" for o in Occupation)),
        Column("site", "站点", ("站点", "站点编码", "服务站点", "驿站", "site"),
               meaning="the code of the worksite or union station (工会驿站) where the worker is served, e.g. "
                       "fz-st-001: lowercase letters, digits, - . _"),
        Column("channel", "登记渠道", ("登记渠道", "渠道", "channel"), required=False,
               meaning="驿站 (station) or 单位工会 (employer_union, the employer's or platform's union); "
                       "defaults to 单位工会"),
    ),
}

LABELS = {c.key: c.label for columns in COLUMNS.values() for c in columns}
CAUSES = {"因病": Cause.ILLNESS, "大病": Cause.SERIOUS_ILLNESS, "因残": Cause.DISABILITY, "因学": Cause.SCHOOLING,
          "意外": Cause.ACCIDENT, "失业": Cause.UNEMPLOYMENT, **{cause.value: cause for cause in Cause}}
SCHOOLS = {"高中": SchoolLevel.SENIOR, "中职": SchoolLevel.VOCATIONAL, "大专": SchoolLevel.COLLEGE,
           "本科": SchoolLevel.UNDERGRADUATE, "研究生": SchoolLevel.POSTGRADUATE, **{s.value: s for s in SchoolLevel}}
OCCUPATIONS = {"一线职工": "frontline", "户外劳动者": "frontline", "新就业形态": "gig", "新就业形态劳动者": "gig",
               "医务人员": "medical", "其他": "other", "frontline": "frontline", "gig": "gig", "medical": "medical",
               "other": "other"}
JOBS: dict[str, Occupation] = {
    **{label: o for o, label in OCCUPATION_LABELS.items()}, **{o.value: o for o in Occupation},
    "建筑工": Occupation.CONSTRUCTION, "环卫工": Occupation.SANITATION, "快递小哥": Occupation.COURIER,
    "外卖送餐员": Occupation.FOOD_DELIVERY, "外卖员": Occupation.FOOD_DELIVERY, "骑手": Occupation.FOOD_DELIVERY,
    "网约车驾驶员": Occupation.RIDE_HAILING, "卡车司机": Occupation.TRUCK_DRIVER, "园林绿化工": Occupation.LANDSCAPING,
    "绿化工": Occupation.LANDSCAPING, "保安员": Occupation.SECURITY_GUARD,
}
CHANNELS = {"驿站": Channel.STATION, "工会驿站": Channel.STATION, "station": Channel.STATION,
            "单位工会": Channel.EMPLOYER_UNION, "企业工会": Channel.EMPLOYER_UNION, "用人单位工会": Channel.EMPLOYER_UNION,
            "平台工会": Channel.EMPLOYER_UNION, "employer_union": Channel.EMPLOYER_UNION}
YES_NO = {"是": True, "否": False, "yes": True, "no": False, "y": True, "n": False, "1": True, "0": False, "": False}
_SPACES = re.compile(r"\s+")
_ACCOUNT = re.compile(r"^[0-9]{12,30}$")
_YUAN = re.compile(r"^[0-9]+(\.[0-9]{1,2})?$")
_SITE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class CaseRow:
    row_number: int
    national_id: str
    name: str
    payee_account: str
    payee_name: str
    school_level: SchoolLevel | None = None
    admission_ref: str | None = None
    out_of_pocket_fen: int | None = None


@dataclass(frozen=True)
class HardshipRow:
    row_number: int
    national_id: str
    name: str
    household_size: int
    income_fen_per_month: int
    causes: frozenset[Cause]
    household_id: str | None


@dataclass(frozen=True)
class MemberRow:
    row_number: int
    national_id: str
    name: str
    union_name: str
    occupation: str
    model_worker: bool
    hardship_cadre: bool
    household_id: str | None


@dataclass(frozen=True)
class RegistrationRow:
    row_number: int
    national_id: str
    name: str
    occupation: Occupation
    site: str
    channel: Channel


Row = CaseRow | HardshipRow | MemberRow | RegistrationRow


@dataclass(frozen=True)
class RowError:
    row_number: int
    column: str
    reason: str


class RosterUnreadable(ValueError):
    """The file as a whole cannot be taken (not a CSV or XLSX, a needed column missing): nothing is imported."""


def describe_columns(kind: RosterKind) -> list[str]:
    """One line per column, for the README and for error messages."""
    return [f"{c.label} ({', '.join(c.aliases[1:])}){'' if c.required else ', optional'}: {c.meaning}"
            for c in COLUMNS[kind]]


def iter_rows(path: Path, kind: RosterKind) -> Iterator[Row | RowError]:
    """The roster's rows in order, each a typed row or a RowError; RosterUnreadable before the first
    row if the file cannot be read or lacks a needed column."""
    rows = _cells(path)
    header = next(rows, None)
    if header is None:
        raise RosterUnreadable("文件是空的（the file is empty）")
    positions = _columns(kind, header)
    seen: dict[str, int] = {}
    for number, cells in enumerate(rows, start=2):
        if not any(_text(c) for c in cells):
            continue
        yield _row(kind, number, {key: cells[i] if i < len(cells) else None for key, i in positions.items()}, seen)


def write_error_report(errors: Iterable[RowError], out: TextIO) -> None:
    """The rows not taken, as a CSV Excel opens right (UTF-8 with a BOM)."""
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["行号 row", "列 column", "原因 reason"])
    writer.writerows([e.row_number, e.column, e.reason] for e in errors)


def _cells(path: Path) -> Iterator[Sequence[Any]]:
    with open(path, "rb") as probe:
        start = probe.read(4)
    if start.startswith(b"PK\x03\x04"):
        return _xlsx_cells(path)
    if path.suffix.lower() in (".xls", ".xlsx") or b"\x00" in start:
        raise RosterUnreadable("只接受 CSV 或 XLSX 文件（only CSV or XLSX files are accepted）")
    return _csv_cells(path)


def _xlsx_cells(path: Path) -> Iterator[Sequence[Any]]:
    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    except Exception as exc:  # calamine raises its own errors for broken zips and XML
        raise RosterUnreadable(f"XLSX 文件无法读取（the XLSX file cannot be read: {type(exc).__name__}）") from exc
    yield from sheet.iter_rows()


def _csv_cells(path: Path) -> Iterator[Sequence[Any]]:
    encoding = _csv_encoding(path)
    with open(path, encoding=encoding, newline="") as text:
        yield from csv.reader(text)


def _csv_encoding(path: Path) -> str:
    """UTF-8 (a BOM is dropped) unless the bytes are not UTF-8: then GB18030, a superset of GBK."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as raw:
        try:
            while chunk := raw.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8-sig"


def _columns(kind: RosterKind, header: Sequence[Any]) -> dict[str, int]:
    found = {_header_key(cell): i for i, cell in reversed(list(enumerate(header)))}
    positions: dict[str, int] = {}
    missing = []
    for column in COLUMNS[kind]:
        at = next((found[_header_key(a)] for a in column.aliases if _header_key(a) in found), None)
        if at is not None:
            positions[column.key] = at
        elif column.required:
            missing.append(f"{column.label}（{column.key}）")
    if missing:
        raise RosterUnreadable(f"缺少必需的列：{'、'.join(missing)}（missing required column(s): "
                               f"{', '.join(c.split('（')[1].rstrip('）') for c in missing)}）; "
                               f"the columns are: {'; '.join(describe_columns(kind))}")
    return positions


def _header_key(cell: Any) -> str:
    return _SPACES.sub("", unicodedata.normalize("NFKC", _text(cell)).lstrip("\ufeff")).lower()


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _row(kind: RosterKind, number: int, cells: dict[str, Any], seen: dict[str, int]) -> Row | RowError:
    try:
        national_id = _national_id(cells["national_id"])
        name = _name(cells["name"], "name")
        if national_id in seen:
            raise _Bad("national_id", f"与第 {seen[national_id]} 行是同一人，只登记一次"
                                      f"（duplicate of row {seen[national_id]}: listed once only）")
        row: Row
        if kind is RosterKind.CASES:
            payee = _text(cells.get("payee_name"))
            out_of_pocket = _text(cells.get("out_of_pocket"))
            row = CaseRow(number, national_id, name, _account(cells["payee_account"]),
                          _name(payee, "payee_name") if payee else name,
                          school_level=_choice(cells.get("school_level"), SCHOOLS, "school_level", optional=True),
                          admission_ref=_text(cells.get("admission_ref"))[:100] or None,
                          out_of_pocket_fen=_fen(out_of_pocket, "out_of_pocket") if out_of_pocket else None)
        elif kind is RosterKind.REGISTRATIONS:
            row = RegistrationRow(number, national_id, name, _choice(cells["job"], JOBS, "job"), _site(cells["site"]),
                                  _choice(cells.get("channel"), CHANNELS, "channel", optional=True)
                                  or Channel.EMPLOYER_UNION)
        elif kind is RosterKind.HARDSHIP_FILES:
            row = HardshipRow(number, national_id, name, _household_size(cells["household_size"]),
                              _fen(_text(cells["income"]), "income"), _causes(cells.get("causes")),
                              _text(cells.get("household_id"))[:40] or None)
        else:
            union = _text(cells["union_name"])
            if not union:
                raise _Bad("union_name", "基层工会为空（the grassroots union is empty）")
            row = MemberRow(number, national_id, name, union[:200],
                            _choice(cells["occupation"], OCCUPATIONS, "occupation"),
                            _choice(cells.get("model_worker"), YES_NO, "model_worker"),
                            _choice(cells.get("hardship_cadre"), YES_NO, "hardship_cadre"),
                            _text(cells.get("household_id"))[:40] or None)
    except _Bad as bad:
        return RowError(number, LABELS[bad.column], bad.reason)
    seen[national_id] = number
    return row


class _Bad(Exception):
    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column, self.reason = column, reason


def _national_id(cell: Any) -> str:
    if isinstance(cell, int | float):
        raise _Bad("national_id", "身份证号被 Excel 存成了数字，末几位已丢失；请把该列设为文本后重填"
                                  "（the ID was stored as a number and lost digits: format the column as text）")
    value = normalise_national_id(_text(cell))
    if not value:
        raise _Bad("national_id", "身份证号为空（the national ID is empty）")
    if len(value) == 15:
        raise _Bad("national_id", "这是 15 位旧身份证号，请换成 18 位号码（an old 15-digit ID: use the 18-character one）")
    try:
        return validate_national_id(value)
    except InvalidNationalId as exc:
        raise _Bad("national_id", f"身份证号{_ID_REASONS.get(str(exc), '有误')}（{exc}）") from exc


_ID_REASONS = {
    "a national ID has 17 digits and a final digit or X": "应为 17 位数字加一位数字或 X",
    "the birth date inside the national ID is not a date": "中的出生日期不存在",
    "the national ID's check digit is wrong (GB 11643)": "校验位错误",
}


def _name(cell: Any, column: str) -> str:
    value = _SPACES.sub(" ", _text(cell).replace("\u3000", " ")).strip()
    if not value:
        raise _Bad(column, "姓名为空（the name is empty）")
    if len(value) > 100:
        raise _Bad(column, "姓名超过 100 个字（the name is longer than 100 characters）")
    return value


def _account(cell: Any) -> str:
    if isinstance(cell, float):
        raise _Bad("payee_account", "银行账号被 Excel 存成了数字，末几位已丢失；请把该列设为文本后重填"
                                    "（the account was stored as a number and lost digits: format the column as text）")
    value = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", _text(cell)))
    if not _ACCOUNT.match(value):
        raise _Bad("payee_account", "银行账号应为 12 到 30 位数字（the account must be 12 to 30 digits）")
    return value


_CHOICE_REASONS = {
    "school_level": "入学阶段应为 高中、中职、大专、本科 或 研究生（school_level must be senior, vocational, college, "
                    "undergraduate or postgraduate）",
    "occupation": "职业类别应为 一线职工、新就业形态、医务人员 或 其他（occupation must be frontline, gig, medical or other）",
    "job": "职业应为 " + "、".join(o.label for o in Occupation) + " 之一，或其英文代码（occupation must be one of "
           + ", ".join(o.value for o in Occupation) + "）",
    "channel": "登记渠道应为 驿站 或 单位工会（channel must be station or employer_union）",
    "model_worker": "应填 是 或 否（yes or no）",
    "hardship_cadre": "应填 是 或 否（yes or no）",
}


def _choice(cell: Any, choices: dict[str, Any], column: str, *, optional: bool = False) -> Any:
    value = _SPACES.sub("", unicodedata.normalize("NFKC", _text(cell))).lower()
    if optional and not value:
        return None
    if value not in choices:
        raise _Bad(column, _CHOICE_REASONS[column])
    return choices[value]


def _site(cell: Any) -> str:
    value = _SPACES.sub("", unicodedata.normalize("NFKC", _text(cell))).lower()
    if not value:
        raise _Bad("site", "站点为空（the site is empty）")
    if not _SITE.match(value):
        raise _Bad("site", "站点编码只能由小写字母、数字和 - . _ 组成，最多 64 个字符，例如 fz-st-001（a site code is "
                           "lowercase letters, digits, - . and _, at most 64 characters, e.g. fz-st-001）")
    return value


def _fen(text: str, column: str) -> int:
    """Yuan as caseworkers write them (1,234.50, ￥1234.5) to whole fen, without floats."""
    value = re.sub(r"[,，\s￥¥元]", "", unicodedata.normalize("NFKC", text))
    if not _YUAN.match(value):
        raise _Bad(column, "金额应为元，最多两位小数，例如 1234.50（an amount in yuan with at most two decimals）")
    yuan, _, cents = value.partition(".")
    return int(yuan) * 100 + int(cents.ljust(2, "0"))


def _household_size(cell: Any) -> int:
    value = _text(cell)
    if not value.isdigit() or not 1 <= int(value) <= 30:
        raise _Bad("household_size", "家庭人口应为 1 到 30 的整数（household size must be a whole number from 1 to 30）")
    return int(value)


def _causes(cell: Any) -> frozenset[Cause]:
    parts = [p for p in re.split(r"[、,，;；\s]+", unicodedata.normalize("NFKC", _text(cell)).lower()) if p]
    unknown = [p for p in parts if p not in CAUSES]
    if unknown:
        raise _Bad("causes", f"无法识别的致困原因：{'、'.join(unknown)}；可填 因病、大病、因残、因学、意外、失业"
                             f"（unknown cause(s): {', '.join(unknown)}）")
    return frozenset(CAUSES[p] for p in parts)
