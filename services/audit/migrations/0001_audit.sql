-- What the audit consumer keeps: only what it can rebuild from the streams (a projection of the facts
-- its invariants need), and the findings it raised, once per kind and subject.
CREATE TABLE entitlements (
    case_id    uuid        PRIMARY KEY,  -- an approved case, or a subsidy period due
    campaign   text        NOT NULL,
    amount_fen bigint      NOT NULL,
    loan_id    uuid,
    period_end date,
    event_id   uuid        NOT NULL,
    seen_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE settlements (
    payment_id uuid        PRIMARY KEY,
    case_id    uuid        NOT NULL,
    campaign   text        NOT NULL,
    amount_fen bigint      NOT NULL,
    returned   boolean     NOT NULL DEFAULT false,
    event_id   uuid        NOT NULL,
    seen_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX settlements_case ON settlements (case_id);

CREATE TABLE budgets (
    campaign  text   PRIMARY KEY,
    total_fen bigint NOT NULL
);

CREATE TABLE forfeits (
    loan_id    uuid NOT NULL,
    period_end date NOT NULL,
    event_id   uuid NOT NULL,
    PRIMARY KEY (loan_id, period_end)
);

CREATE TABLE registrations (
    campaign   text NOT NULL,
    worker_ref text NOT NULL,
    PRIMARY KEY (campaign, worker_ref)
);

CREATE TABLE handouts (
    handout_id uuid        PRIMARY KEY,
    campaign   text        NOT NULL,
    worker_ref text        NOT NULL,
    over_issue boolean     NOT NULL DEFAULT false,
    event_id   uuid        NOT NULL,
    seen_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX handouts_worker ON handouts (campaign, worker_ref);

CREATE TABLE findings (
    kind       text        NOT NULL,
    subject    text        NOT NULL,
    finding_id uuid        NOT NULL UNIQUE,
    campaign   text,
    detail     text        NOT NULL,
    evidence   uuid[]      NOT NULL,
    found_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, subject)
);
