-- Double-entry ledger. Every fen moves by ledger_transfer(): one entry, two balance updates, one
-- transaction. Budget accounts can never go below zero: the CHECK enforces it, not only the code.
CREATE TABLE accounts (
    account     text   PRIMARY KEY,
    campaign    text   NOT NULL,
    kind        text   NOT NULL CHECK (kind IN ('funding', 'available', 'reserved', 'paid')),
    balance_fen bigint NOT NULL DEFAULT 0,
    CONSTRAINT budget_never_negative CHECK (kind = 'funding' OR balance_fen >= 0)
);

CREATE TABLE budgets (
    campaign   text        PRIMARY KEY,
    programme  text        NOT NULL,
    region     text        NOT NULL,
    total_fen  bigint      NOT NULL CHECK (total_fen > 0),
    created_by text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ledger_entries (
    entry_id     bigserial   PRIMARY KEY,
    campaign     text        NOT NULL,
    payment_id   uuid,
    from_account text        NOT NULL REFERENCES accounts,
    to_account   text        NOT NULL REFERENCES accounts,
    amount_fen   bigint      NOT NULL CHECK (amount_fen > 0),
    kind         text        NOT NULL CHECK (kind IN ('fund', 'reserve', 'settle', 'release')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (from_account <> to_account)
);
CREATE INDEX ledger_entries_payment ON ledger_entries (payment_id);
-- A payment reserves, settles and releases at most once each.
CREATE UNIQUE INDEX ledger_entries_once_per_payment ON ledger_entries (payment_id, kind) WHERE payment_id IS NOT NULL;

-- Moves p_amount from p_from to p_to; returns false, moving nothing, when p_from is a budget
-- account that cannot cover it (the CHECK above stays as the backstop).
CREATE FUNCTION ledger_transfer(p_campaign text, p_payment uuid, p_from text, p_to text, p_amount bigint, p_kind text)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    locked int;
    source accounts%ROWTYPE;
BEGIN
    -- Lock the two accounts in name order, so concurrent transfers cannot deadlock on them.
    PERFORM 1 FROM accounts WHERE account IN (p_from, p_to) ORDER BY account FOR UPDATE;
    GET DIAGNOSTICS locked = ROW_COUNT;
    IF locked <> 2 THEN
        RAISE EXCEPTION 'ledger accounts % and % must both exist', p_from, p_to USING ERRCODE = 'foreign_key_violation';
    END IF;
    SELECT * INTO source FROM accounts WHERE account = p_from;
    IF source.kind <> 'funding' AND source.balance_fen < p_amount THEN
        RETURN false;
    END IF;
    UPDATE accounts SET balance_fen = balance_fen - p_amount WHERE account = p_from;
    UPDATE accounts SET balance_fen = balance_fen + p_amount WHERE account = p_to;
    INSERT INTO ledger_entries (campaign, payment_id, from_account, to_account, amount_fen, kind)
    VALUES (p_campaign, p_payment, p_from, p_to, p_amount, p_kind);
    RETURN true;
END $$;

-- Payment instructions. One payment per case (payment_id is derived from the case id, too), and
-- none without its campaign's budget.
CREATE TABLE payments (
    payment_id           uuid        PRIMARY KEY,
    case_id              uuid        NOT NULL UNIQUE,
    campaign             text        NOT NULL REFERENCES budgets,
    amount_fen           bigint      NOT NULL CHECK (amount_fen > 0),
    payee_name_enc       bytea       NOT NULL,
    payee_account_enc    bytea       NOT NULL,
    payee_account_masked text        NOT NULL,
    status               text        NOT NULL CHECK (status IN ('instructed', 'settled', 'failed')),
    failure_stage        text        CHECK (failure_stage IN ('budget', 'bank')),
    failure_reason       text,
    bank_reference       text,
    settled_at           timestamptz,
    attempts             int         NOT NULL DEFAULT 0,
    next_attempt_at      timestamptz NOT NULL DEFAULT now(),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_due ON payments (next_attempt_at) WHERE status = 'instructed';
CREATE INDEX payments_campaign ON payments (campaign, status);

CREATE TRIGGER payments_wake_dispatcher AFTER INSERT ON payments
    FOR EACH STATEMENT EXECUTE FUNCTION notify_on_insert();
