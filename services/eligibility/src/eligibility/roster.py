"""Campaign lists and hardship rosters (花名册) as caseworkers keep them in Excel: read row by row from
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
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

from python_calamine import CalamineWorkbook

from eligibility.domain import HardshipLevel
from siji_shared.pii import InvalidNationalId, normalise_national_id, validate_national_id


class RosterKind(StrEnum):
    CASES = "cases"
    HARDSHIP_FILES = "hardship_files"


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # as the caseworker writes it; the first alias
    aliases: tuple[str, ...]
    required: bool = True
    meaning: str = ""


COLUMNS: dict[RosterKind, tuple[Column, ...]] = {
    RosterKind.CASES: (
        Column("national_id", "身份证号", ("身份证号", "身份证号码", "公民身份号码", "证件号码", "national_id"),
               meaning="18-character national ID (GB 11643); full-width digits, a lowercase x and spaces are fine"),
        Column("name", "姓名", ("姓名", "职工姓名", "name"), meaning="the member's name"),
        Column("payee_account", "银行账号", ("银行账号", "银行卡号", "收款账号", "账号", "payee_account"),
               meaning="12 to 30 digits; spaces and dashes are dropped; keep the Excel column as text"),
        Column("payee_name", "收款人", ("收款人", "收款人姓名", "户名", "payee_name"), required=False,
               meaning="the account holder, when not the member (defaults to 姓名)"),
    ),
    RosterKind.HARDSHIP_FILES: (
        Column("national_id", "身份证号", ("身份证号", "身份证号码", "公民身份号码", "证件号码", "national_id"),
               meaning="18-character national ID (GB 11643)"),
        Column("name", "姓名", ("姓名", "职工姓名", "name"), meaning="the member's name"),
        Column("level", "困难类别", ("困难类别", "困难类型", "困难程度", "level"),
               meaning="深度困难, 相对困难 or 意外致困 (deep, relative, accident)"),
        Column("valid_until", "有效期至", ("有效期至", "建档有效期", "有效期", "valid_until"),
               meaning="a date: 2027-06-30, 2027/6/30, 2027年6月30日 or an Excel date cell"),
    ),
}

LABELS = {c.key: c.label for columns in COLUMNS.values() for c in columns}
LEVELS = {"深度困难": HardshipLevel.DEEP, "相对困难": HardshipLevel.RELATIVE, "意外致困": HardshipLevel.ACCIDENT,
          **{level.value: level for level in HardshipLevel}}
_SPACES = re.compile(r"\s+")
_ACCOUNT = re.compile(r"^[0-9]{12,30}$")
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


@dataclass(frozen=True)
class CaseRow:
    row_number: int
    national_id: str
    name: str
    payee_account: str
    payee_name: str


@dataclass(frozen=True)
class HardshipRow:
    row_number: int
    national_id: str
    name: str
    level: HardshipLevel
    valid_until: date


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


def iter_rows(path: Path, kind: RosterKind) -> Iterator[CaseRow | HardshipRow | RowError]:
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


def _row(kind: RosterKind, number: int, cells: dict[str, Any],
         seen: dict[str, int]) -> CaseRow | HardshipRow | RowError:
    try:
        national_id = _national_id(cells["national_id"])
        name = _name(cells["name"], "name")
        if national_id in seen:
            raise _Bad("national_id", f"与第 {seen[national_id]} 行是同一人，只登记一次"
                                      f"（duplicate of row {seen[national_id]}: listed once only）")
        row: CaseRow | HardshipRow
        if kind is RosterKind.CASES:
            payee = _text(cells.get("payee_name"))
            row = CaseRow(number, national_id, name, _account(cells["payee_account"]),
                          _name(payee, "payee_name") if payee else name)
        else:
            row = HardshipRow(number, national_id, name, _level(cells["level"]), _date(cells["valid_until"]))
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


def _level(cell: Any) -> HardshipLevel:
    value = _SPACES.sub("", _text(cell)).lower()
    if value not in LEVELS:
        raise _Bad("level", "困难类别应为 深度困难、相对困难 或 意外致困（level must be deep, relative or accident）")
    return LEVELS[value]


def _date(cell: Any) -> date:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    match = _DATE.match(_SPACES.sub("", unicodedata.normalize("NFKC", _text(cell))))
    try:
        if match:
            return date(*(int(part) for part in match.groups()))
    except ValueError:
        pass
    raise _Bad("valid_until", "有效期不是日期，请写成 2027-06-30（valid_until is not a date: write it as 2027-06-30）")
