"""Eligibility: hardship files, programme rule sets, cases, assessments and caseworker decisions."""
