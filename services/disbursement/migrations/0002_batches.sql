-- Money moves in batches: ledger_transfer_batch() moves a whole batch of transfers of one kind with
-- one call (accounts locked once, in name order), so a batch of payments is reserved, settled or
-- released in one statement. It replaces the one-transfer function.
DROP FUNCTION ledger_transfer(text, uuid, text, text, bigint, text);

-- Moves p_amount[i] from p_from[i] to p_to[i] for each i, in order; returns for each whether it moved.
-- A transfer whose paying budget account cannot cover it moves nothing (false), and later ones in
-- the batch may still fit. Every account must exist (foreign_key_violation otherwise).
CREATE FUNCTION ledger_transfer_batch(p_campaign text[], p_payment uuid[], p_from text[], p_to text[],
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
        IF kinds[f] <> 'funding' AND balances[f] < p_amount[i] THEN
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

-- Payment batches: one pain.001 message to the bank each. Its message id is fixed when the batch is
-- made, so a retry after a time-out or a crash sends the same message and the bank books it once.
CREATE TABLE payment_batches (
    batch_id        uuid        PRIMARY KEY,
    message_id      text        NOT NULL UNIQUE CHECK (length(message_id) <= 35),
    payments        int         NOT NULL CHECK (payments > 0),
    control_sum_fen bigint      NOT NULL CHECK (control_sum_fen > 0),
    status          text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'reported')),
    group_status    text,
    attempts        int         NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    reported_at     timestamptz
);
CREATE INDEX payment_batches_due ON payment_batches (next_attempt_at) WHERE status = 'open';

ALTER TABLE payments ADD COLUMN batch_id uuid REFERENCES payment_batches;
ALTER TABLE payments DROP COLUMN attempts;
ALTER TABLE payments DROP COLUMN next_attempt_at;
CREATE INDEX payments_to_batch ON payments (created_at, payment_id) WHERE status = 'instructed' AND batch_id IS NULL;
CREATE INDEX payments_of_batch ON payments (batch_id) WHERE batch_id IS NOT NULL;
