"""Subsidy policies as data: one JSON document per version, region and year in services/loans/policies/,
loaded by `siji loans policies load` (and by the service itself when none is loaded yet). The borrower's
share, the caps, the subsidised period and its taper live in `subsidy` (the model the schedule reads);
in `bank` the conventions the projection assumes for a bank whose loan.disbursed event does not state its
own (the bank's own always win: the reservation must cover what it will charge); what overdue,
extension, early repayment and default do beside them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from loans.schedule import BankConventions, SubsidyPolicy

POLICY_DIR = Path(__file__).resolve().parents[2] / "policies"


class Text(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class PolicyDocument(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    policy_id: str = Field(pattern=r"^loan-subsidy/[a-z0-9-]+/[0-9]{4}$", description="loan-subsidy/region/year")
    version: int = Field(ge=1, description="a new version is a new document; a loaded version never changes")
    region: str = Field(pattern=r"^[a-z0-9-]+$")
    year: int = Field(ge=2000, le=2100)
    title: Text
    subsidy: SubsidyPolicy
    bank: BankConventions = BankConventions()
    on_overdue: Literal["forfeit_period", "forfeit_rest"] = Field(
        "forfeit_period", description="an overdue period (逾期) gets nothing; forfeit_rest: nor does any later one")
    on_extension: Literal["forfeit_period", "forfeit_rest"] = Field(
        "forfeit_period", description="the extended periods (展期) get nothing; forfeit_rest: the subsidy stops")
    on_early_repayment: Literal["stop_at_repayment_day"] = "stop_at_repayment_day"
    on_default: Literal["stop", "stop_and_claw_back"] = Field(
        "stop_and_claw_back", description="claw back: what was paid becomes a receivable from the borrower")

    @model_validator(mode="after")
    def _id_matches(self) -> PolicyDocument:
        if self.policy_id != f"loan-subsidy/{self.region}/{self.year}":
            raise ValueError(f"policy_id must be loan-subsidy/{self.region}/{self.year}")
        return self

    def canonical(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    def sha256(self) -> str:
        return hashlib.sha256(self.canonical().encode()).hexdigest()


class PolicyInvalid(ValueError):
    """A document that does not follow the format; the message says where."""


def parse(data: Any, *, source: str = "document") -> PolicyDocument:
    try:
        return PolicyDocument.model_validate(data)
    except ValidationError as exc:
        raise PolicyInvalid(f"{source}: {exc}") from exc


def read_dir(directory: Path = POLICY_DIR) -> list[tuple[str, PolicyDocument]]:
    return [(path.name, parse(json.loads(path.read_text(encoding="utf-8")), source=path.name))
            for path in sorted(directory.glob("loan-subsidy.*.json"))]
