-- Reconciliation: the payments as disbursement reported them, the bank's statements as the bank
-- booked them, and the classification of every payment, entry and statement that follows from both.

CREATE TABLE payments (
    payment_id     uuid        PRIMARY KEY,
    end_to_end_id  text        NOT NULL UNIQUE,  -- the payment id as 32 hex characters, as the bank sees it
    campaign       text        NOT NULL,
    amount_fen     bigint      NOT NULL CHECK (amount_fen > 0),
    status         text        NOT NULL CHECK (status IN ('instructed', 'settled', 'failed')),
    bank_reference text,
    failure_stage  text,
    settled_seen   timestamptz,                  -- when we learnt the bank accepted it (orders it among statements)
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_updated ON payments (updated_at);

CREATE TABLE statements (
    business_date   date        PRIMARY KEY,
    sequence_number int         NOT NULL UNIQUE,
    message_id      text        NOT NULL,
    account         text        NOT NULL,
    opening_fen     bigint      NOT NULL,
    closing_fen     bigint      NOT NULL,
    movement_fen    bigint      NOT NULL,
    entries         int         NOT NULL,
    source          text        NOT NULL CHECK (source IN ('bank', 'upload')),
    document        bytea       NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE statement_entries (
    bank_reference     text    PRIMARY KEY,
    business_date      date    NOT NULL REFERENCES statements,
    end_to_end_id      text    NOT NULL,
    amount_fen         bigint  NOT NULL CHECK (amount_fen > 0),
    credit             boolean NOT NULL,
    return_reason_code text    NOT NULL DEFAULT ''
);
CREATE INDEX statement_entries_e2e ON statement_entries (end_to_end_id);

-- The current classification of each item; every change of one is also an event.
CREATE TABLE items (
    item_id        text        PRIMARY KEY,
    business_date  date        NOT NULL,
    classification text        NOT NULL,
    payment_id     uuid,
    end_to_end_id  text,
    amount_fen     bigint      NOT NULL DEFAULT 0,
    detail         text        NOT NULL DEFAULT '',
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX items_by_day ON items (business_date, classification);

-- A closed day is never reopened: later corrections land on the day they happen.
CREATE TABLE days (
    business_date date        PRIMARY KEY REFERENCES statements,
    closed_by     text        NOT NULL,
    open_items    int         NOT NULL,
    reason        text        NOT NULL DEFAULT '',
    closed_at     timestamptz NOT NULL DEFAULT now()
);
