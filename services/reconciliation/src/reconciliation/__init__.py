"""Reconciliation: the bank's statements matched to the payments, every mismatch explained."""
