"""Where the project's files live."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DEPLOY_DIR = ROOT / "deploy"
POLICY_DIR = ROOT / "services" / "eligibility" / "policies"
LOAN_POLICY_DIR = ROOT / "services" / "loans" / "policies"
