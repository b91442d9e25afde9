"""Campaign lists and hardship rosters as caseworkers keep them: every kind of dirt handled or rejected
with its row number and a reason, in CSV (UTF-8, BOM, GB18030) and XLSX alike."""

from pathlib import Path

import pytest
from openpyxl import Workbook

from eligibility.policy import Cause, SchoolLevel
from eligibility.roster import (
    CaseRow,
    HardshipRow,
    MemberRow,
    RosterKind,
    RosterUnreadable,
    RowError,
    describe_columns,
    iter_rows,
    write_error_report,
)
from siji_cli.synthetic import FULL_WIDTH, members
from siji_shared.pii import national_id_check_digit

PEOPLE = members(6, region="taicang", seed=5)
ACCOUNT = "6222020200112233445"


def with_check(first17: str) -> str:
    return first17 + national_id_check_digit(first17)


def csv_file(tmp_path: Path, lines: list[str], *, encoding: str = "utf-8-sig", name: str = "list.csv") -> Path:
    path = tmp_path / name
    path.write_bytes("\r\n".join(lines).encode(encoding))
    return path


def rows(path: Path, kind: RosterKind = RosterKind.CASES) -> list:
    return list(iter_rows(path, kind))


def test_a_dirty_campaign_list_is_cleaned_or_rejected_row_by_row(tmp_path):
    x_id = next(with_check(f"32058519800101{n:03d}") for n in range(1000)
                if national_id_check_digit(f"32058519800101{n:03d}") == "X")
    wrong_check = PEOPLE[3].national_id[:17] + ("1" if PEOPLE[3].national_id[17] != "1" else "2")
    path = csv_file(tmp_path, [
        "序号, 姓名 ,身份证号码,银行卡号,备注",                                       # row 1: aliases, spaces, extra column
        f"1,{PEOPLE[0].name},{PEOPLE[0].national_id},{ACCOUNT}",                        # 2
        f"2,{PEOPLE[1].name},{PEOPLE[1].national_id.translate(FULL_WIDTH)},{ACCOUNT}",  # 3 full-width digits
        "",                                                                            # 4 blank
        f"3,{PEOPLE[2].name}, {x_id.lower()[:6]} {x_id.lower()[6:]}　,6222 0202 0011 2233",  # 5 x, spaces
        f"4,{PEOPLE[3].name},{wrong_check},{ACCOUNT}",                                   # 6 check digit
        f"5,{PEOPLE[4].name},{PEOPLE[4].national_id[:6]}{PEOPLE[4].national_id[8:17]},{ACCOUNT}",  # 7 15 digits
        f"6,{PEOPLE[4].name},{PEOPLE[4].national_id},12-34",                             # 8 account
        f"7,,{PEOPLE[5].national_id},{ACCOUNT}",                                         # 9 no name
        f"8,{PEOPLE[0].name},{PEOPLE[0].national_id},{ACCOUNT}",                         # 10 duplicate of row 2
        f"9,某某,{with_check('32058519801301123')},{ACCOUNT}",                            # 11 month 13
        ",,,",                                                                         # 12 blank cells
        f"10,{PEOPLE[5].name},{PEOPLE[5].national_id},{ACCOUNT}",                        # 13
    ])
    found = rows(path)
    taken = [r for r in found if isinstance(r, CaseRow)]
    errors = [r for r in found if isinstance(r, RowError)]
    assert [r.row_number for r in taken] == [2, 3, 5, 13]
    assert taken[1].national_id == PEOPLE[1].national_id and taken[2].national_id == x_id
    assert taken[2].payee_account == "6222020200112233" and taken[0].payee_name == PEOPLE[0].name
    assert [(e.row_number, e.column) for e in errors] == [(6, "身份证号"), (7, "身份证号"), (8, "银行账号"), (9, "姓名"),
                                                           (10, "身份证号"), (11, "身份证号")]
    reasons = [e.reason for e in errors]
    assert "校验位错误" in reasons[0] and "GB 11643" in reasons[0]
    assert "15 位" in reasons[1] and "12 到 30 位" in reasons[2] and "姓名为空" in reasons[3]
    assert "与第 2 行是同一人" in reasons[4] and "duplicate of row 2" in reasons[4]
    assert "出生日期" in reasons[5]
    assert not any(p.national_id in "".join(reasons) for p in PEOPLE), "no personal data in a reason"


def test_gb18030_csv_and_english_headers(tmp_path):
    path = csv_file(tmp_path, ["national_id,name,payee_account,payee_name",
                               f"{PEOPLE[0].national_id},{PEOPLE[0].name},{ACCOUNT},张大妈"], encoding="gb18030")
    (row,) = rows(path)
    assert row == CaseRow(2, PEOPLE[0].national_id, PEOPLE[0].name, ACCOUNT, "张大妈")


def test_a_missing_column_refuses_the_file_and_names_it(tmp_path):
    path = csv_file(tmp_path, ["姓名,电话", "张三,123"])
    with pytest.raises(RosterUnreadable, match="身份证号.*银行账号"):
        rows(path)
    assert any("身份证号" in line for line in describe_columns(RosterKind.CASES))


def test_an_xlsx_hardship_roster_with_households_incomes_and_causes(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["序号", "姓名", "身份证号", "家庭人口", "家庭月收入（元）", "致困原因", "户号"])
    sheet.append([1, PEOPLE[0].name, PEOPLE[0].national_id, 3, 2400.5, "因病、因学", "H-1"])
    sheet.append([2, PEOPLE[1].name, PEOPLE[1].national_id, "2", "￥1,800.00", "", None])
    sheet.append([3, PEOPLE[2].name, float(PEOPLE[2].national_id[:17]), 2, 1000, "", None])
    sheet.append([4, PEOPLE[3].name, PEOPLE[3].national_id, 0, 1000, "", None])
    sheet.append([None, None, None, None, None, None, None])
    sheet.append([5, PEOPLE[4].name, PEOPLE[4].national_id, 4, "三千", "", None])
    sheet.append([6, PEOPLE[5].name, PEOPLE[5].national_id, 4, 3000, "离婚", None])
    path = tmp_path / "困难职工.xlsx"
    book.save(path)

    found = rows(path, RosterKind.HARDSHIP_FILES)
    assert found[:2] == [
        HardshipRow(2, PEOPLE[0].national_id, PEOPLE[0].name, 3, 240050, frozenset({Cause.ILLNESS, Cause.SCHOOLING}),
                    "H-1"),
        HardshipRow(3, PEOPLE[1].national_id, PEOPLE[1].name, 2, 180000, frozenset(), None)]
    assert [(e.row_number, e.column) for e in found[2:]] == [(4, "身份证号"), (5, "家庭人口"), (7, "家庭月收入"),
                                                             (8, "致困原因")]
    assert "设为文本" in found[2].reason and "离婚" in found[5].reason


def test_a_member_roster_with_occupations_and_flags(tmp_path):
    path = csv_file(tmp_path, ["身份证号,姓名,基层工会,职业类别,劳模,户号",
                               f"{PEOPLE[0].national_id},{PEOPLE[0].name},太仓港务工会,一线职工,是,H-1",
                               f"{PEOPLE[1].national_id},{PEOPLE[1].name},太仓人民医院工会,医务人员,,",
                               f"{PEOPLE[2].national_id},{PEOPLE[2].name},,其他,否,",
                               f"{PEOPLE[3].national_id},{PEOPLE[3].name},外卖骑手工会,骑手,否,"])
    found = rows(path, RosterKind.MEMBERS)
    assert found[:2] == [
        MemberRow(2, PEOPLE[0].national_id, PEOPLE[0].name, "太仓港务工会", "frontline", True, False, "H-1"),
        MemberRow(3, PEOPLE[1].national_id, PEOPLE[1].name, "太仓人民医院工会", "medical", False, False, None)]
    assert [(e.row_number, e.column) for e in found[2:]] == [(4, "基层工会"), (5, "职业类别")]


def test_a_campaign_list_carries_school_admission_and_medical_costs(tmp_path):
    path = csv_file(tmp_path, ["身份证号,姓名,银行账号,入学阶段,录取通知书编号,自付医疗费用",
                               f"{PEOPLE[0].national_id},{PEOPLE[0].name},{ACCOUNT},本科,NJU-2026-0001,",
                               f"{PEOPLE[1].national_id},{PEOPLE[1].name},{ACCOUNT},,,12345.6",
                               f"{PEOPLE[2].national_id},{PEOPLE[2].name},{ACCOUNT},幼儿园,,"])
    found = rows(path)
    assert found[0] == CaseRow(2, PEOPLE[0].national_id, PEOPLE[0].name, ACCOUNT, PEOPLE[0].name,
                               school_level=SchoolLevel.UNDERGRADUATE, admission_ref="NJU-2026-0001")
    assert found[1].out_of_pocket_fen == 1234560 and found[1].school_level is None
    assert (found[2].row_number, found[2].column) == (4, "入学阶段")


def test_not_a_roster_at_all(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\x00\x00")
    with pytest.raises(RosterUnreadable, match="CSV 或 XLSX"):
        rows(path)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(RosterUnreadable, match="XLSX"):
        rows(broken)


def test_the_error_report_opens_in_excel(tmp_path):
    out = tmp_path / "errors.csv"
    with open(out, "w", encoding="utf-8", newline="") as report:
        write_error_report([RowError(6, "身份证号", "身份证号校验位错误")], report)
    assert out.read_bytes().startswith("\ufeff行号 row".encode())
    assert out.read_text(encoding="utf-8-sig").splitlines()[1] == "6,身份证号,身份证号校验位错误"
