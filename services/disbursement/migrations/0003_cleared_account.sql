-- Reserved money gets a contra account, `cleared`: reservations credit `reserved`, settlements and
-- releases debit `cleared`, and a budget's money still reserved is reserved + cleared. So settling a
-- bank batch no longer locks the account that every reservation locks: the consumer turning approvals
-- into payments and the dispatcher recording the bank's answers stop waiting for each other (they did
-- for most of a campaign). Like funding, cleared runs negative by design; that a payment settles or
-- is released once, and only after it was reserved, is held by the payment's status and by
-- ledger_entries_once_per_payment, and the audit checks that reserved + cleared never goes below zero.
ALTER TABLE accounts DROP CONSTRAINT accounts_kind_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_kind_check
    CHECK (kind IN ('funding', 'available', 'reserved', 'cleared', 'paid'));
ALTER TABLE accounts DROP CONSTRAINT budget_never_negative;
ALTER TABLE accounts ADD CONSTRAINT budget_never_negative CHECK (kind IN ('funding', 'cleared') OR balance_fen >= 0);

-- Existing budgets start their cleared account at zero: reserved + cleared is what it was.
INSERT INTO accounts (account, campaign, kind) SELECT campaign || ':cleared', campaign, 'cleared' FROM budgets;

CREATE OR REPLACE FUNCTION ledger_transfer_batch(p_campaign text[], p_payment uuid[], p_from text[], p_to text[],
                                                 p_amount bigint[], p_kind text)
RETURNS boolean[] LANGUAGE plpgsql AS $$
DECLARE
    names    text[];
    kinds    text[];
    balances bigint[];
    moved    boolean[] := '{}';
    f int;
    t int;
BEGIN
    SELECT array_agg(account ORDER BY account), array_agg(kind ORDER BY account),
           array_agg(balance_fen ORDER BY account)
      INTO names, kinds, balances
      FROM (SELECT account, kind, balance_fen FROM accounts
            WHERE account = ANY (p_from) OR account = ANY (p_to)
            ORDER BY account FOR UPDATE) locked;
    FOR i IN 1 .. coalesce(array_length(p_amount, 1), 0) LOOP
        f := array_position(names, p_from[i]);
        t := array_position(names, p_to[i]);
        IF f IS NULL OR t IS NULL THEN
            RAISE EXCEPTION 'ledger accounts % and % must both exist', p_from[i], p_to[i]
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        IF kinds[f] NOT IN ('funding', 'cleared') AND balances[f] < p_amount[i] THEN
            moved := array_append(moved, false);
        ELSE
            balances[f] := balances[f] - p_amount[i];
            balances[t] := balances[t] + p_amount[i];
            moved := array_append(moved, true);
        END IF;
    END LOOP;
    UPDATE accounts a SET balance_fen = b.balance_fen
      FROM unnest(names, balances) AS b(account, balance_fen)
     WHERE a.account = b.account AND a.balance_fen <> b.balance_fen;
    INSERT INTO ledger_entries (campaign, payment_id, from_account, to_account, amount_fen, kind)
    SELECT x.campaign, x.payment_id, x.from_account, x.to_account, x.amount_fen, p_kind
      FROM unnest(p_campaign, p_payment, p_from, p_to, p_amount, moved)
           AS x(campaign, payment_id, from_account, to_account, amount_fen, ok)
     WHERE x.ok;
    RETURN moved;
END $$;
