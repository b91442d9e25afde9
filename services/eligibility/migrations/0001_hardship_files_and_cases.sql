-- Programme rule sets: versioned data per programme, region and year. A decision names the version it used.
CREATE TABLE rule_sets (
    rule_set_id  text        NOT NULL,
    version      int         NOT NULL CHECK (version >= 1),
    programme    text        NOT NULL,
    region       text        NOT NULL,
    year         int         NOT NULL,
    rules        jsonb       NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (rule_set_id, version)
);
CREATE INDEX rule_sets_lookup ON rule_sets (programme, region, year, version DESC);

-- Registered hardship members (建档困难职工). member_ref is a keyed hash of the national ID; the ID
-- itself is stored encrypted only.
CREATE TABLE hardship_files (
    file_id          uuid        PRIMARY KEY,
    member_ref       text        NOT NULL,
    region           text        NOT NULL,
    level            text        NOT NULL CHECK (level IN ('deep', 'relative', 'accident')),
    national_id_enc  bytea       NOT NULL,
    name_enc         bytea       NOT NULL,
    valid_until      date        NOT NULL,
    opened_by        text        NOT NULL,
    opened_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (member_ref, region)
);

CREATE TABLE cases (
    case_id            uuid        PRIMARY KEY,
    programme          text        NOT NULL,
    campaign           text        NOT NULL,
    region             text        NOT NULL,
    year               int         NOT NULL,
    member_ref         text        NOT NULL,
    payee_name_enc     bytea       NOT NULL,
    payee_account_enc  bytea       NOT NULL,
    status             text        NOT NULL CHECK (status IN ('eligible', 'ineligible', 'approved', 'rejected')),
    amount_fen         bigint      NOT NULL CHECK (amount_fen >= 0),
    tier               text,
    rule_set_id        text        NOT NULL,
    rule_set_version   int         NOT NULL,
    reasons            jsonb       NOT NULL,
    approvals_required int         NOT NULL CHECK (approvals_required BETWEEN 1 AND 2),
    registered_by      text        NOT NULL,
    approvals          text[]      NOT NULL DEFAULT '{}',
    decided_by         text,
    decision_reason    text,
    payment_id         uuid,
    payment_status     text        CHECK (payment_status IN ('instructed', 'settled', 'failed')),
    payment_reason     text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (rule_set_id, rule_set_version) REFERENCES rule_sets (rule_set_id, version),
    CHECK (status <> 'approved' OR cardinality(approvals) >= approvals_required),
    CHECK (NOT (registered_by = ANY (approvals)))
);
CREATE INDEX cases_member_campaign ON cases (campaign, member_ref);
CREATE INDEX cases_campaign_status ON cases (campaign, status);
