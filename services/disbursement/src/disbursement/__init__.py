"""Disbursement: budgets, payment instructions to the bank, settlement and the double-entry ledger."""
