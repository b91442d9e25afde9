"""What each classification means for finance: whether it is settled business, and what to do."""

from __future__ import annotations

# MATCHED and IN_TRANSIT are settled business; a line booked twice is a recovery item for finance (listed
# in the day's report, no ledger change); a RETURNED payment is explained once it is paid again; every
# other classification is a mismatch, open until corrected or signed off.
WHAT_TO_DO = {
    "MISSING_AT_BANK": "the bank accepted the line but has not booked it within the grace period: ask the bank "
                       "(pain.002 reference in the item) before anything is paid again",
    "UNKNOWN_BANK_ENTRY": "the bank booked a debit no payment of ours explains: claim it back from the bank",
    "AMOUNT_MISMATCH": "the bank booked another amount than instructed: claim the difference or pay it",
    "DUPLICATE_AT_BANK": "the bank booked a line twice: a recovery item, claim the second booking back",
    "RETURNED": "the payee's bank returned the money: correct the payee's account, then re-issue",
    "INVALID_REVERSAL": "a return for a line the bank never booked: ask the bank to reverse it",
    "STATEMENT_BALANCE_ERROR": "the statement's balances do not add up: ask the bank for a corrected statement",
    "STATEMENT_GAP": "a statement is missing (sequence number skipped): fetch or upload the missing day",
}
