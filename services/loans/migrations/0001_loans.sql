-- Subsidy policies: versioned data per region and year (services/loans/policies/*.json), loaded by
-- `siji loans policies load`. A loaded version never changes (the trigger), so a loan's subsidy always
-- re-derives under the version it was granted.
CREATE TABLE policies (
    policy_id      text        NOT NULL,
    version        int         NOT NULL CHECK (version >= 1),
    region         text        NOT NULL,
    year           int         NOT NULL,
    document       jsonb       NOT NULL,
    content_sha256 text        NOT NULL,
    source         text        NOT NULL,
    loaded_by      text        NOT NULL,
    loaded_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (policy_id, version)
);
CREATE INDEX policies_in_force ON policies (region, year, version DESC);

CREATE FUNCTION policies_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a loaded policy version never changes; load a new version';
END $$;
CREATE TRIGGER policies_immutable BEFORE UPDATE OR DELETE ON policies
    FOR EACH ROW EXECUTE FUNCTION policies_immutable();

-- The subsidy fund of a campaign. Its total is disbursement's budget of the same code (budget.changed);
-- reserved is the projected subsidy of the loans it covers, spent what it owes or paid. It can never
-- promise more than it holds: the CHECK enforces it, not only the code.
CREATE TABLE funds (
    campaign     text   PRIMARY KEY,
    total_fen    bigint NOT NULL DEFAULT 0 CHECK (total_fen >= 0),
    reserved_fen bigint NOT NULL DEFAULT 0 CHECK (reserved_fen >= 0),
    spent_fen    bigint NOT NULL DEFAULT 0 CHECK (spent_fen >= 0),
    CONSTRAINT fund_never_overdrawn CHECK (reserved_fen + spent_fen <= total_fen)
);

-- Loans approved by eligibility (loan_id = the case id), forwarded to the bank, then followed by the
-- bank's events. Personal data (an individual borrower's name, every account) is stored encrypted.
CREATE TABLE loans (
    loan_id          uuid        PRIMARY KEY,
    campaign         text        NOT NULL REFERENCES funds,
    programme        text        NOT NULL,
    region           text        NOT NULL,
    year             int         NOT NULL,
    borrower_kind    text        NOT NULL CHECK (borrower_kind IN ('enterprise', 'individual')),
    borrower_ref     text        NOT NULL,
    name_enc         bytea       NOT NULL,
    account_enc      bytea       NOT NULL,
    principal_fen    bigint      NOT NULL CHECK (principal_fen > 0),
    term_months      int         NOT NULL,
    method           text        NOT NULL,
    staff_count      int         NOT NULL,
    new_hires        int         NOT NULL,
    approved_by      text[]      NOT NULL,
    status           text        NOT NULL DEFAULT 'approved' CHECK (status IN (
                         'approved', 'declined', 'waiting', 'active', 'repaid_early', 'defaulted', 'matured',
                         'forfeited')),
    bank_loan_id     text        UNIQUE,
    annual_rate_bp   int,
    start_date       date,
    policy_id        text,
    policy_version   int,
    projected_fen    bigint      NOT NULL DEFAULT 0,
    reserved_fen     bigint      NOT NULL DEFAULT 0 CHECK (reserved_fen >= 0),
    spent_fen        bigint      NOT NULL DEFAULT 0 CHECK (spent_fen >= 0),
    waiting_seq      bigint,
    stopped_on       date,
    clawback_fen     bigint      NOT NULL DEFAULT 0,
    reason           text,
    approved_at      timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (policy_id, policy_version) REFERENCES policies (policy_id, version)
);
CREATE INDEX loans_to_forward ON loans (approved_at) WHERE status = 'approved';
CREATE INDEX loans_waiting ON loans (campaign, waiting_seq) WHERE status = 'waiting';
CREATE INDEX loans_region ON loans (region, campaign);

-- A loan's interest periods: projected at disbursement, then as the bank reports them. One payment per
-- period at most: the entitlement id is the payment's case id at disbursement.
CREATE TABLE periods (
    loan_id          uuid    NOT NULL REFERENCES loans,
    period_end       date    NOT NULL,
    period_start     date    NOT NULL,
    projected_fen    bigint  NOT NULL DEFAULT 0 CHECK (projected_fen >= 0),
    interest_fen     bigint,
    penalty_fen      bigint,
    outstanding_fen  bigint,
    bank_status      text    CHECK (bank_status IN ('normal', 'overdue', 'extended')),
    paid_on_time     boolean,
    subsidy_fen      bigint  NOT NULL DEFAULT 0 CHECK (subsidy_fen >= 0),
    status           text    NOT NULL CHECK (status IN (
                         'projected', 'pending', 'due', 'paid', 'failed', 'forfeited', 'nothing_due', 'cancelled')),
    entitlement_id   uuid    UNIQUE,
    payment_id       uuid    UNIQUE,
    reported_seq     bigint,
    PRIMARY KEY (loan_id, period_end)
);
CREATE INDEX periods_payment ON periods (payment_id) WHERE payment_id IS NOT NULL;

-- The bank's loan event feed as taken: each event once (by its sequence number), kept for audit.
CREATE TABLE bank_events (
    seq           bigint      PRIMARY KEY,
    event_type    text        NOT NULL,
    bank_loan_id  text        NOT NULL,
    loan_id       uuid,
    business_date date        NOT NULL,
    body          jsonb       NOT NULL,
    taken_at      timestamptz NOT NULL DEFAULT now()
);
