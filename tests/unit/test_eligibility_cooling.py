"""Summer cooling (夏送清凉), eligibility's part, pure: the registration programme documents, every
occupation and channel rule of `assess_registration` on the shipped documents, and registration rosters
read row by row with every bad row named by its number and a reason."""

import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from eligibility.domain import (
    CaseForDecision,
    DecisionRefused,
    RegistrationFacts,
    add_approval,
    assess_registration,
    decision_hash,
)
from eligibility.policy import (
    POLICY_DIR,
    SCHEMA_FILE,
    Channel,
    HardshipStandards,
    LoanProgrammeRules,
    Occupation,
    PolicyInvalid,
    ProgrammeRules,
    RegistrationRules,
    json_schema,
    parse,
    read_dir,
)
from eligibility.roster import (
    RegistrationRow,
    RosterKind,
    RosterUnreadable,
    RowError,
    describe_columns,
    iter_rows,
)
from siji_cli.synthetic import FULL_WIDTH, members

SHIPPED = {document.rule_set_id: document for _, document in read_dir()}
REGIONS = ("fuzhou", "taicang", "yancheng")
COOLING = {region: SHIPPED[f"summer-cooling/{region}/2026"] for region in REGIONS}
FUZHOU = COOLING["fuzhou"]
O, C = Occupation, Channel
SERVED_EVERYWHERE = (O.CONSTRUCTION, O.SANITATION, O.COURIER, O.FOOD_DELIVERY, O.RIDE_HAILING, O.TRUCK_DRIVER,
                     O.LANDSCAPING, O.SECURITY_GUARD)
GIG = (O.COURIER, O.FOOD_DELIVERY, O.RIDE_HAILING, O.TRUCK_DRIVER)
PEOPLE = members(8, region="fuzhou", seed=17)


def facts(occupation: Occupation, channel: Channel = C.EMPLOYER_UNION) -> RegistrationFacts:
    return RegistrationFacts(occupation=occupation, channel=channel)


def rules_fired(assessment) -> list[str]:
    return [f.rule for f in assessment.fired]


# --- the documents ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("region", REGIONS)
def test_the_shipped_summer_cooling_documents_parse_as_registration_programmes(region):
    path = POLICY_DIR / f"summer-cooling.{region}.2026.v1.json"
    document = parse(json.loads(path.read_text(encoding="utf-8")), source=path.name)
    assert isinstance(document, RegistrationRules)
    assert not isinstance(document, ProgrammeRules | LoanProgrammeRules | HardshipStandards)
    assert (document.kind, document.programme, document.region, document.year, document.version) == (
        "registration-programme", "summer-cooling", region, 2026, 1)
    assert document.rule_set_id == f"summer-cooling/{region}/2026"
    assert set(SERVED_EVERYWHERE) <= set(document.occupations)
    assert not {O.FACTORY, O.OFFICE, O.RETAIL, O.OTHER} & set(document.occupations), "outdoor work only"
    assert set(document.gig_occupations) == set(GIG)
    assert (document.gig_channels, document.employed_channels) == ((C.STATION, C.EMPLOYER_UNION),
                                                                  (C.EMPLOYER_UNION, C.STATION)), \
        "the stations serve every outdoor worker"
    assert (document.registrations_per_worker_per_campaign, document.approvals_required) == (1, 1)
    assert "夏送清凉" in document.title.zh


def test_every_occupation_has_a_chinese_label():
    assert [o.label for o in SERVED_EVERYWHERE] == ["建筑工人", "环卫工人", "快递员", "外卖骑手", "网约车司机", "货车司机",
                                                    "园林绿化", "保安"]
    assert all(o.label for o in Occupation) and len({o.label for o in Occupation}) == len(Occupation)
    assert (C.STATION.label, C.EMPLOYER_UNION.label) == ("工会驿站", "单位工会")


@pytest.mark.parametrize(("change", "reason"), [
    ({"gig_occupations": ["courier", "office"]}, "gig_occupations must be among occupations: office is not"),
    ({"occupations": ["courier", "courier"], "gig_occupations": []}, "occupations lists a value twice"),
    ({"gig_channels": []}, "gig_channels"),
    ({"employed_channels": ["station", "station"]}, "employed_channels lists a value twice"),
    ({"occupations": []}, "occupations"),
    ({"occupations": ["astronaut"]}, "occupations"),
    ({"registrations_per_worker_per_campaign": 2}, "registrations_per_worker_per_campaign"),
    ({"approvals_required": 3}, "approvals_required"),
    ({"amount_fen": 100}, "amount_fen"),
    ({"rule_set_id": "summer-cooling/taicang/2026"}, "rule_set_id must be summer-cooling/fuzhou/2026"),
])
def test_a_registration_programme_that_does_not_hold_together_is_refused(change, reason):
    with pytest.raises(PolicyInvalid, match=reason):
        parse({**FUZHOU.model_dump(mode="json"), **change})


def test_the_committed_schema_knows_the_registration_programme():
    assert json.loads((POLICY_DIR / SCHEMA_FILE).read_text(encoding="utf-8")) == json.loads(json.dumps(json_schema()))
    schema = json.dumps(json_schema(), ensure_ascii=False)
    assert "registration-programme" in schema and "gig_channels" in schema and "外卖骑手" in schema


def test_only_the_summer_cooling_documents_are_registration_programmes():
    registrations = {d.rule_set_id for d in SHIPPED.values() if isinstance(d, RegistrationRules)}
    assert registrations == {f"summer-cooling/{region}/2026" for region in REGIONS}


# --- the occupation rule ---------------------------------------------------------------------------------

@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("occupation", list(Occupation))
def test_an_occupation_qualifies_exactly_when_the_programme_serves_it(region, occupation):
    rules = COOLING[region]
    result = assess_registration(rules, facts(occupation))  # the employer's union: open to every occupation
    assert result.eligible == (occupation in rules.occupations)
    assert result.amount_fen == 0, "in kind: never an amount"
    if result.eligible:
        assert result.tier == f"occupation:{occupation.value}"
        assert rules_fired(result) == ["rule_set", "occupation_served", "in_kind", "approvals"]
        assert result.approvals_required == 1
    else:
        assert result.tier is None and rules_fired(result) == ["rule_set", "occupation_not_served"]
        assert result.reasons[-1].startswith(f"职业“{occupation.label}”不在本项目服务的职业之列")
        assert f"（the occupation {occupation.value} is not among those this programme serves" in result.reasons[-1]


def test_the_regions_serve_some_occupations_of_their_own():
    assert assess_registration(COOLING["fuzhou"], facts(O.TRAFFIC_WARDEN)).eligible
    assert not assess_registration(COOLING["taicang"], facts(O.TRAFFIC_WARDEN)).eligible
    assert assess_registration(COOLING["taicang"], facts(O.DOCK_WORKER)).eligible
    assert not assess_registration(COOLING["yancheng"], facts(O.DOCK_WORKER)).eligible


# --- the channel rule ------------------------------------------------------------------------------------

@pytest.mark.parametrize("occupation", GIG)
@pytest.mark.parametrize("channel", list(Channel))
def test_a_gig_worker_registers_at_a_station_or_through_the_platform_union(occupation, channel):
    result = assess_registration(FUZHOU, facts(occupation, channel))
    assert result.eligible
    assert "新就业形态劳动者" in result.reasons[1] and "a gig worker" in result.reasons[1]


EMPLOYED = (O.CONSTRUCTION, O.SANITATION, O.LANDSCAPING, O.SECURITY_GUARD)
UNION_ONLY = parse({**FUZHOU.model_dump(mode="json"), "version": 2, "employed_channels": ["employer_union"]})


@pytest.mark.parametrize("occupation", EMPLOYED)
@pytest.mark.parametrize("channel", list(Channel))
def test_as_shipped_an_employed_worker_registers_either_way(occupation, channel):
    result = assess_registration(FUZHOU, facts(occupation, channel))
    assert result.eligible and "单位职工" in result.reasons[1] and "an employed worker" in result.reasons[1]


@pytest.mark.parametrize("occupation", EMPLOYED)
def test_a_region_keeping_employed_workers_to_their_employers_union_refuses_them_at_a_station(occupation):
    assert isinstance(UNION_ONLY, RegistrationRules)
    assert assess_registration(UNION_ONLY, facts(occupation, C.EMPLOYER_UNION)).eligible
    refused = assess_registration(UNION_ONLY, facts(occupation, C.STATION))
    assert not refused.eligible and refused.amount_fen == 0 and refused.approvals_required == 1
    assert rules_fired(refused) == ["rule_set", "channel_not_allowed"]
    assert refused.reasons[-1] == (
        f"{occupation.label}属于单位职工，须通过单位工会登记，不能通过工会驿站登记（{occupation.value} is an employed "
        f"worker: registers through employer_union, not through station）")


@pytest.mark.parametrize("occupation", GIG)
def test_a_gig_worker_kept_to_stations_is_refused_through_a_union(occupation):
    stations_only = parse({**FUZHOU.model_dump(mode="json"), "version": 2, "gig_channels": ["station"]})
    assert isinstance(stations_only, RegistrationRules)
    refused = assess_registration(stations_only, facts(occupation, C.EMPLOYER_UNION))
    assert not refused.eligible and "新就业形态劳动者，须通过工会驿站登记" in refused.reasons[-1]
    assert assess_registration(stations_only, facts(occupation, C.STATION)).eligible


def test_an_unserved_occupation_is_named_before_its_channel():
    result = assess_registration(UNION_ONLY, facts(O.OFFICE, C.STATION))
    assert rules_fired(result) == ["rule_set", "occupation_not_served"]


# --- the decision hash, the approvals --------------------------------------------------------------------

def test_the_decision_hash_covers_the_rule_set_and_the_facts_and_nothing_personal():
    first = assess_registration(FUZHOU, facts(O.COURIER, C.STATION))
    assert json.loads(first.inputs_json) == {"occupation": "courier", "channel": "station"}
    assert first.decision_hash == decision_hash(FUZHOU, first.inputs_json)
    assert assess_registration(FUZHOU, facts(O.COURIER, C.STATION)).decision_hash == first.decision_hash
    assert assess_registration(FUZHOU, facts(O.COURIER)).decision_hash != first.decision_hash
    assert assess_registration(COOLING["taicang"], facts(O.COURIER, C.STATION)).decision_hash != first.decision_hash
    assert first.reasons[0] == ("依据 summer-cooling/fuzhou/2026 第 1 版（福州市2026年夏送清凉）（assessed under "
                                "summer-cooling/fuzhou/2026 v1 (Fuzhou 2026 summer cooling)）")


def test_the_registrant_may_not_approve_a_registration():
    approvals_required = assess_registration(FUZHOU, facts(O.SANITATION)).approvals_required
    case = CaseForDecision(status="eligible", registered_by="cw-1", approvals=(), approvals_required=approvals_required)
    with pytest.raises(DecisionRefused, match="may not approve it"):
        add_approval(case, "cw-1")
    assert add_approval(case, "ap-1") == (("ap-1",), True), "one approver is enough for a kit"


# --- registration rosters ----------------------------------------------------------------------------------

def csv_file(tmp_path: Path, lines: list[str], *, encoding: str = "utf-8-sig") -> Path:
    path = tmp_path / "cooling.csv"
    path.write_bytes("\r\n".join(lines).encode(encoding))
    return path


def test_a_registration_roster_is_cleaned_or_rejected_row_by_row(tmp_path):
    p = PEOPLE
    wrong_check = p[3].national_id[:17] + ("1" if p[3].national_id[17] != "1" else "2")
    path = csv_file(tmp_path, [
        "序号,姓名,身份证号,职业,站点,登记渠道,备注",                                  # row 1
        f"1,{p[0].name},{p[0].national_id},环卫工人,fz-st-001,单位工会,",                 # 2
        f"2,{p[1].name},{p[1].national_id.translate(FULL_WIDTH)},外卖骑手,FZ-ST-002 ,驿站,",  # 3 full-width, upper case
        f"3,{p[2].name},{p[2].national_id},food_delivery,fz-st-002,station,",              # 4 codes
        "",                                                                              # 5 blank
        f"4,{p[3].name},{wrong_check},快递员,fz-st-003,驿站,",                             # 6 check digit
        f"5,{p[4].name},{p[4].national_id},宇航员,fz-st-003,驿站,",                        # 7 unknown occupation
        f"6,{p[5].name},{p[5].national_id},保安,,单位工会,",                               # 8 no site
        f"7,{p[6].name},{p[6].national_id},保安,福州一号站,单位工会,",                      # 9 not a site code
        f"8,{p[7].name},{p[7].national_id},货车司机,fz-st-004,微信群,",                     # 10 unknown channel
        f"9,,{p[4].national_id},快递员,fz-st-004,驿站,",                                   # 11 no name
        f"10,{p[0].name},{p[0].national_id},环卫工人,fz-st-001,,",                        # 12 duplicate of row 2
        f"11,{p[4].name},{p[4].national_id},外卖送餐员,fz-st-005,,",                       # 13 an alias, channel default
        f"12,{p[5].name},{p[5].national_id},办公室职员,fz-st-005,单位工会,",                # 14 known, not served
    ])
    found = list(iter_rows(path, RosterKind.REGISTRATIONS))
    taken = [r for r in found if isinstance(r, RegistrationRow)]
    errors = {e.row_number: e for e in found if isinstance(e, RowError)}
    assert [(r.row_number, r.national_id, r.occupation, r.site, r.channel) for r in taken] == [
        (2, p[0].national_id, O.SANITATION, "fz-st-001", C.EMPLOYER_UNION),
        (3, p[1].national_id, O.FOOD_DELIVERY, "fz-st-002", C.STATION),
        (4, p[2].national_id, O.FOOD_DELIVERY, "fz-st-002", C.STATION),
        (13, p[4].national_id, O.FOOD_DELIVERY, "fz-st-005", C.EMPLOYER_UNION),
        (14, p[5].national_id, O.OFFICE, "fz-st-005", C.EMPLOYER_UNION),
    ], "an occupation the programme does not serve is assessed ineligible, not refused by the roster"
    assert sorted(errors) == [6, 7, 8, 9, 10, 11, 12]
    assert {n: e.column for n, e in errors.items()} == {6: "身份证号", 7: "职业", 8: "站点", 9: "站点", 10: "登记渠道",
                                                       11: "姓名", 12: "身份证号"}
    assert "校验位错误" in errors[6].reason and "GB 11643" in errors[6].reason
    assert errors[7].reason.startswith("职业应为 建筑工人、环卫工人、快递员、外卖骑手") and "occupation must be" in errors[7].reason
    assert errors[8].reason == "站点为空（the site is empty）"
    assert "fz-st-001" in errors[9].reason and "lowercase letters" in errors[9].reason
    assert errors[10].reason == "登记渠道应为 驿站 或 单位工会（channel must be station or employer_union）"
    assert errors[11].reason == "姓名为空（the name is empty）"
    assert "与第 2 行是同一人" in errors[12].reason and "duplicate of row 2" in errors[12].reason
    assert not any(person.national_id in e.reason for person in p for e in errors.values()), "never echoed"


def test_english_headers_and_xlsx_are_read_alike(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["name", "national_id", "occupation", "site", "channel"])
    sheet.append([PEOPLE[0].name, PEOPLE[0].national_id, "courier", "ty-st-9", "employer_union"])
    sheet.append([PEOPLE[1].name, PEOPLE[1].national_id, "网约车司机", "ty-st-9", "工会驿站"])
    sheet.append([PEOPLE[2].name, int(PEOPLE[2].national_id[:17]), "快递员", "ty-st-9", ""])
    path = tmp_path / "cooling.xlsx"
    book.save(path)
    found = list(iter_rows(path, RosterKind.REGISTRATIONS))
    assert [(r.occupation, r.channel) for r in found if isinstance(r, RegistrationRow)] == [
        (O.COURIER, C.EMPLOYER_UNION), (O.RIDE_HAILING, C.STATION)]
    [error] = [e for e in found if isinstance(e, RowError)]
    assert (error.row_number, error.column) == (4, "身份证号") and "format the column as text" in error.reason


def test_a_registration_roster_without_its_site_column_is_refused_naming_it(tmp_path):
    path = csv_file(tmp_path, ["姓名,身份证号,职业", f"{PEOPLE[0].name},{PEOPLE[0].national_id},环卫工人"])
    with pytest.raises(RosterUnreadable, match="缺少必需的列：站点（site）"):
        list(iter_rows(path, RosterKind.REGISTRATIONS))
    gbk = csv_file(tmp_path, ["姓名,身份证号,职业,站点", f"{PEOPLE[0].name},{PEOPLE[0].national_id},环卫工人,yc-01"],
                   encoding="gb18030")
    [row] = list(iter_rows(gbk, RosterKind.REGISTRATIONS))
    assert isinstance(row, RegistrationRow) and row.channel is C.EMPLOYER_UNION, "登记渠道 is optional"


def test_the_registration_columns_are_described():
    lines = describe_columns(RosterKind.REGISTRATIONS)
    assert [line.split(" ")[0] for line in lines] == ["身份证号", "姓名", "职业", "站点", "登记渠道"]
    assert "外卖骑手 (food_delivery)" in lines[2] and lines[4].split(":")[0].endswith("optional")
