"""Policy as data: the rule set documents in services/eligibility/policies/, their format (these models,
exported as rule-set.schema.json beside them) and how two versions differ. Nothing here touches a
database; `policies.py` loads them.

Four kinds of document, each versioned per region and year:
- `programme`: who qualifies for one programme and for how much (winter warmth, autumn education aid,
  living relief, serious-illness relief);
- `hardship-standards`: the region's minimum living standard (低保) and the multiple of it that bounds
  relative hardship, the causes that make a sudden hardship, how long a hardship file is valid, and the
  caps on what one member and one household may receive across programmes in a year;
- `loan-programme`: who may borrow under an interest-subsidised loan scheme (贴息贷款, 创业担保贷款), up to
  what principal and for how long, per borrower kind (small and micro enterprises, individual founders);
- `registration-programme`: who may register for help in kind (summer cooling, 夏送清凉: a heat-relief kit
  for frontline outdoor workers), by occupation, and through which channel (a union station or the
  employer's union); no money, so no amounts.

Each kind is looked up by its own kind: member cases never read a loan or registration programme, nor
loans or registrations a member programme."""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from contracts.types import Code

POLICY_DIR = Path(__file__).resolve().parents[2] / "policies"
SCHEMA_FILE = "rule-set.schema.json"
Fen = Annotated[int, Field(ge=1, description="an amount in fen (CNY 0.01)")]


class HardshipLevel(StrEnum):
    DEEP = "deep"            # 深度困难: household income per head below the local minimum (低保)
    RELATIVE = "relative"    # 相对困难: above it, below a multiple of it
    ACCIDENT = "accident"    # 意外致困: sudden accident or serious illness

    @property
    def label(self) -> str:
        return {"deep": "深度困难", "relative": "相对困难", "accident": "意外致困"}[self.value]


class Cause(StrEnum):
    """Why a household is in hardship (致困原因), as the hardship roster records it."""

    ILLNESS = "illness"              # 因病
    SERIOUS_ILLNESS = "serious_illness"  # 大病
    DISABILITY = "disability"        # 因残
    SCHOOLING = "schooling"          # 因学 (children in school)
    ACCIDENT = "accident"            # 意外 (sudden accident)
    UNEMPLOYMENT = "unemployment"    # 失业


class Category(StrEnum):
    """Groups a programme may pay as such, from the member registry."""

    FRONTLINE = "frontline"            # 一线职工, outdoor and gig workers (户外劳动者, 新就业形态劳动者)
    MEDICAL = "medical"                # 医务人员
    MODEL_WORKER = "model_worker"      # 劳模
    HARDSHIP_CADRE = "hardship_cadre"  # 困难工会干部


class SchoolLevel(StrEnum):
    """The school a member's child is entering (autumn education aid)."""

    SENIOR = "senior"                # 高中
    VOCATIONAL = "vocational"        # 中职
    COLLEGE = "college"              # 大专
    UNDERGRADUATE = "undergraduate"  # 本科
    POSTGRADUATE = "postgraduate"    # 研究生


class Text(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class MedicalCosts(BaseModel):
    """A share of the out-of-pocket medical costs above a threshold, up to a cap."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    threshold_fen: int = Field(ge=0)
    share_percent: int = Field(ge=1, le=100)
    cap_fen: Fen


class _Document(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @cached_property
    def sha256(self) -> str:
        """The content hash a decision hash covers, computed once per document. Documents are made by
        `parse` only: a `model_copy(update=...)` would carry the original's hash."""
        return content_sha256(self)

    rule_set_id: str = Field(pattern=r"^[a-z0-9-]+/[a-z0-9-]+/[0-9]{4}$",
                             description="programme/region/year, the same for every version")
    version: int = Field(ge=1, description="a new version is a new document; a loaded version never changes")
    region: Code
    year: int = Field(ge=2000, le=2100)
    title: Text

    @model_validator(mode="after")
    def _id_matches(self) -> _Document:
        expected = f"{self.programme}/{self.region}/{self.year}"  # type: ignore[attr-defined]
        if self.rule_set_id != expected:
            raise ValueError(f"rule_set_id must be {expected}")
        return self


class ProgrammeRules(_Document):
    """Who qualifies for a programme and for how much. The award is the highest of the tiers that apply
    (a hardship level, a category, a school level, medical costs), then limited by the yearly caps."""

    kind: Literal["programme"] = "programme"
    programme: Code
    requires_hardship_file: bool = Field(description="only members with a valid hardship file qualify")
    hardship_tiers: dict[HardshipLevel, Fen] = Field(default_factory=dict)
    category_tiers: dict[Category, Fen] = Field(default_factory=dict)
    school_tiers: dict[SchoolLevel, Fen] = Field(default_factory=dict)
    admission_evidence_required: bool = Field(False, description="school tiers pay only with an admission record")
    medical_costs: MedicalCosts | None = None
    max_awards_per_member_per_campaign: int = Field(1, ge=1)
    second_approval_above_fen: int = Field(ge=0, description="awards above this need a second approver")

    @model_validator(mode="after")
    def _pays_something(self) -> ProgrammeRules:
        if not (self.hardship_tiers or self.category_tiers or self.school_tiers or self.medical_costs):
            raise ValueError("a programme needs at least one of hardship_tiers, category_tiers, school_tiers, "
                             "medical_costs")
        return self


class Caps(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    per_member_per_year_fen: Fen
    per_household_per_year_fen: Fen


class HardshipStandards(_Document):
    """How a region grades hardship (建档) and caps awards across programmes in a year."""

    kind: Literal["hardship-standards"] = "hardship-standards"
    programme: Literal["hardship-standards"] = "hardship-standards"
    minimum_living_fen_per_head_month: Fen = Field(description="低保: the minimum living standard per person")
    relative_hardship_percent: int = Field(gt=100, le=500, description="相对困难 below this percentage of 低保")
    accident_causes: tuple[Cause, ...] = Field(min_length=1, description="causes that make a sudden hardship (意外致困)")
    file_valid_months: int = Field(ge=1, le=60)
    caps: Caps


class BorrowerKind(StrEnum):
    ENTERPRISE = "enterprise"  # 小微企业, known by its unified social credit code (统一社会信用代码)
    INDIVIDUAL = "individual"  # 个人创业者, known by a national ID

    @property
    def label(self) -> str:
        return {"enterprise": "小微企业", "individual": "个人创业者"}[self.value]


class LoanLimits(BaseModel):
    """What one borrower of a kind may borrow under the scheme: a requested principal or term above the
    cap is cut to it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    max_principal_fen: Fen = Field(description="the most principal one borrower may be lent")
    max_term_months: int = Field(ge=1, le=120, description="the longest term, in months")


class EnterpriseConditions(BaseModel):
    """When a small or micro enterprise (小微企业) qualifies: its size, the jobs it created (new hires on
    contracts of a year or more, as a share of its staff) and no arrears."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    max_staff: int = Field(ge=1, description="the most staff a small or micro enterprise may have")
    new_hire_percent: int = Field(ge=0, le=100, description="new hires as at least this percentage of staff")
    new_hire_percent_large: int = Field(ge=0, le=100, description="the percentage above large_staff_threshold staff")
    large_staff_threshold: int = Field(ge=1, description="above this many staff new_hire_percent_large applies")
    no_wage_arrears: bool = Field(True, description="an enterprise in wage arrears (拖欠工资) does not qualify")
    no_social_insurance_arrears: bool = Field(
        True, description="an enterprise in social-insurance arrears (拖欠社保费) does not qualify")


class LoanProgrammeRules(_Document):
    """An interest-subsidised loan scheme (贴息贷款): per borrower kind the largest principal and the
    longest term; the conditions an enterprise meets; the principal above which a second approver decides.
    The subsidy itself (rates, periods) is the loans service's."""

    kind: Literal["loan-programme"] = "loan-programme"
    programme: Code
    borrowers: dict[BorrowerKind, LoanLimits] = Field(
        min_length=1, description="who may borrow, and up to what: a kind not listed is not lent to")
    enterprise_conditions: EnterpriseConditions | None = Field(
        None, description="required when enterprises may borrow")
    second_approval_above_fen: int = Field(ge=0, description="a principal above this needs a second approver")

    @model_validator(mode="after")
    def _enterprise_conditions(self) -> LoanProgrammeRules:
        if BorrowerKind.ENTERPRISE in self.borrowers and self.enterprise_conditions is None:
            raise ValueError("enterprise borrowers need enterprise_conditions")
        return self


class Occupation(StrEnum):
    """What a worker does (职业), as a registration roster names it: the frontline outdoor occupations first,
    then indoor ones a roster may still carry (never served by a summer-cooling programme as shipped). A
    registration programme lists the occupations it serves and which of them are gig work: construction
    建筑工人, sanitation 环卫工人, courier 快递员, food_delivery 外卖骑手, ride_hailing 网约车司机, truck_driver
    货车司机, landscaping 园林绿化, security_guard 保安, traffic_warden 交通协管员, road_maintenance 道路养护工,
    dock_worker 港口装卸工, factory 车间工人, office 办公室职员, retail 商场营业员, other 其他."""

    CONSTRUCTION = "construction"          # 建筑工人
    SANITATION = "sanitation"              # 环卫工人
    COURIER = "courier"                    # 快递员
    FOOD_DELIVERY = "food_delivery"        # 外卖骑手
    RIDE_HAILING = "ride_hailing"          # 网约车司机
    TRUCK_DRIVER = "truck_driver"          # 货车司机
    LANDSCAPING = "landscaping"            # 园林绿化
    SECURITY_GUARD = "security_guard"      # 保安
    TRAFFIC_WARDEN = "traffic_warden"      # 交通协管员
    ROAD_MAINTENANCE = "road_maintenance"  # 道路养护工
    DOCK_WORKER = "dock_worker"            # 港口装卸工
    FACTORY = "factory"                    # 车间工人 (indoor)
    OFFICE = "office"                      # 办公室职员 (indoor)
    RETAIL = "retail"                      # 商场营业员 (indoor)
    OTHER = "other"                        # 其他

    @property
    def label(self) -> str:
        return OCCUPATION_LABELS[self]


OCCUPATION_LABELS: dict[Occupation, str] = {
    Occupation.CONSTRUCTION: "建筑工人", Occupation.SANITATION: "环卫工人", Occupation.COURIER: "快递员",
    Occupation.FOOD_DELIVERY: "外卖骑手", Occupation.RIDE_HAILING: "网约车司机", Occupation.TRUCK_DRIVER: "货车司机",
    Occupation.LANDSCAPING: "园林绿化", Occupation.SECURITY_GUARD: "保安", Occupation.TRAFFIC_WARDEN: "交通协管员",
    Occupation.ROAD_MAINTENANCE: "道路养护工", Occupation.DOCK_WORKER: "港口装卸工", Occupation.FACTORY: "车间工人",
    Occupation.OFFICE: "办公室职员", Occupation.RETAIL: "商场营业员", Occupation.OTHER: "其他",
}


class Channel(StrEnum):
    """How a worker registers: at a union station (工会驿站), or through the union of their employer or, for
    gig workers, of their platform or trade (单位工会)."""

    STATION = "station"
    EMPLOYER_UNION = "employer_union"

    @property
    def label(self) -> str:
        return {"station": "工会驿站", "employer_union": "单位工会"}[self.value]


class RegistrationRules(_Document):
    """Help in kind that workers register for (summer cooling, 夏送清凉: one heat-relief kit each): which
    occupations are served, which of them are gig work (新就业形态), and through which channels gig and
    employed workers register. No amounts: the kit is the cooling service's; a registration is worth 0 fen
    and is never paid."""

    kind: Literal["registration-programme"] = "registration-programme"
    programme: Code
    occupations: tuple[Occupation, ...] = Field(min_length=1, description="the occupations served: any other "
                                                "is ineligible")
    gig_occupations: tuple[Occupation, ...] = Field(
        (), description="those of `occupations` that are gig work (新就业形态): they register through gig_channels")
    gig_channels: tuple[Channel, ...] = Field(
        min_length=1, description="how a gig worker may register: station (工会驿站) and/or employer_union (the "
                                  "platform's or employer's union)")
    employed_channels: tuple[Channel, ...] = Field(
        min_length=1, description="how any other worker may register: employer_union only keeps them to their "
                                  "employer's union; with station, the stations serve them too")
    registrations_per_worker_per_campaign: Literal[1] = Field(
        1, description="one registration (one kit) per worker per campaign: a repeat is already_registered")
    approvals_required: int = Field(1, ge=1, le=2, description="approvers a registration needs, none of them its "
                                                              "registrant (maker-checker)")

    @model_validator(mode="after")
    def _consistent(self) -> RegistrationRules:
        for name in ("occupations", "gig_occupations", "gig_channels", "employed_channels"):
            values = getattr(self, name)
            if len(set(values)) != len(values):
                raise ValueError(f"{name} lists a value twice")
        stray = [o.value for o in self.gig_occupations if o not in self.occupations]
        if stray:
            raise ValueError(f"gig_occupations must be among occupations: {', '.join(stray)} is not")
        return self


Document = ProgrammeRules | HardshipStandards | LoanProgrammeRules | RegistrationRules
RuleSetDocument = Annotated[Document, Field(discriminator="kind")]
DOCUMENT = TypeAdapter(RuleSetDocument)


class PolicyInvalid(ValueError):
    """A rule set document that does not follow the format; the message says where."""


def parse(data: Any, *, source: str = "document") -> Document:
    try:
        return DOCUMENT.validate_python(data)
    except ValueError as exc:
        raise PolicyInvalid(f"{source}: {exc}") from exc


def read_dir(directory: Path = POLICY_DIR) -> list[tuple[str, Document]]:
    """Every document in the directory (file name, document), in name order; the schema file is not one."""
    found = []
    for path in sorted(directory.glob("*.json")):
        if path.name != SCHEMA_FILE:
            found.append((path.name, parse(json.loads(path.read_text(encoding="utf-8")), source=path.name)))
    return found


def canonical(document: BaseModel | dict[str, Any]) -> str:
    data = document.model_dump(mode="json") if isinstance(document, BaseModel) else document
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_sha256(document: BaseModel | dict[str, Any]) -> str:
    return hashlib.sha256(canonical(document).encode()).hexdigest()


def json_schema() -> dict[str, Any]:
    schema = DOCUMENT.json_schema()
    schema["title"] = ("Siji eligibility rule set (programme rules, a region's hardship standards, a loan "
                       "programme or a registration programme)")
    return schema


def diff(old: Any, new: Any, path: str = "") -> list[dict[str, Any]]:
    """What changed from one version's content to another's: one entry per changed leaf, by path."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes = []
        for key in sorted(set(old) | set(new)):
            where = f"{path}.{key}" if path else key
            if key not in new:
                changes.append({"path": where, "from": old[key], "to": None, "change": "removed"})
            elif key not in old:
                changes.append({"path": where, "from": None, "to": new[key], "change": "added"})
            else:
                changes += diff(old[key], new[key], where)
        return changes
    return [] if old == new else [{"path": path, "from": old, "to": new, "change": "changed"}]


def write_schema(directory: Path = POLICY_DIR) -> Path:
    path = directory / SCHEMA_FILE
    path.write_text(json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write_schema())
