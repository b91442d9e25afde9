-- What a period earned beyond what the subsidy fund held when the bank reported it: not paid, and
-- shown (the fund, the loan, the report), never dropped silently.
ALTER TABLE periods ADD COLUMN shortfall_fen bigint NOT NULL DEFAULT 0 CHECK (shortfall_fen >= 0);
