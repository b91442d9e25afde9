from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BANK_SIM_", extra="ignore")

    http_host: str = "127.0.0.1"
    http_port: int = 8109
    log_format: str = "json"
    log_level: str = "INFO"
    failure_rate: float = Field(default=0.02, ge=0, le=1, description="share of payment lines the bank rejects")
    unavailable_rate: float = Field(default=0.0, ge=0, le=1, description="share of batch requests answered 503")
    latency_ms: int = Field(default=5, ge=0)
    return_rate: float = Field(default=0.0, ge=0, le=1, description="share of paid lines returned days later")
    duplicate_rate: float = Field(default=0.0, ge=0, le=1, description="share of paid lines booked twice")
    late_rate: float = Field(default=0.0, ge=0, le=1, description="share of paid lines booked after the cut-off")
    lump_rate: float = Field(default=0.0, ge=0, le=1, description="share of batches booked as one lump debit")
    lost_answer_rate: float = Field(default=0.0, ge=0, le=1, description="share of batches booked whose first "
                                                                          "answer is lost (504): the payer sends them again")
    seed: int = 2026
    journal: Path | None = Field(default=None, description="append-only file that survives restarts")
    statements_dir: Path | None = Field(default=None, description="where each closed day's camt.053 is written")
    business_date: date | None = Field(default=None, description="the first business date (default: today in "
                                                                 "Asia/Shanghai, or the next business day)")
    account: str = Field(default="10551101040012345", description="the paying union's settlement account")
    opening_balance_fen: int = Field(default=100_000_000_000, description="its balance when the bank opens")
    day_count: Literal["ACT/360", "ACT/365"] = Field(default="ACT/360", description="how interest accrues by day")
    interest_day: int = Field(default=20, ge=1, le=28, description="结息日: this day of each quarter's last month")
    loan_rate_bp: int = Field(default=395, ge=51, le=4950, description="the loans' annual rate; each loan's is "
                                                                        "this ± up to 50 bp")
    penalty_percent: int = Field(default=50, ge=0, le=1000, description="罚息 on an overdue period, as a share of "
                                                                        "its interest")
    early_repayment_rate: float = Field(default=0.0, ge=0, le=1, description="share of loans repaid early, per period")
    overdue_rate: float = Field(default=0.0, ge=0, le=1, description="share of periods paid late (逾期)")
    extension_rate: float = Field(default=0.0, ge=0, le=1, description="share of loans extended (展期) at maturity")
    default_rate: float = Field(default=0.0, ge=0, le=1, description="share of overdue periods the loan defaults in")
    loan_decline_rate: float = Field(default=0.0, ge=0, le=1, description="share of loan applications declined")
