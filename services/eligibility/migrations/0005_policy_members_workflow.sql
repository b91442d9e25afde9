-- Policy as data, the member registry, graded hardship files, caps across programmes, and the
-- caseworker's workflow (withdraw, reject, appeal) with its trail.

-- Rule sets are loaded from services/eligibility/policies/ (see policy.py). A loaded version never
-- changes and is never deleted: past decisions name it and its content hash.
ALTER TABLE rule_sets ADD COLUMN kind text NOT NULL DEFAULT 'programme' CHECK (kind IN ('programme', 'hardship-standards'));
ALTER TABLE rule_sets ADD COLUMN content_sha256 text;
ALTER TABLE rule_sets ADD COLUMN source text;
ALTER TABLE rule_sets ADD COLUMN loaded_by text;
CREATE FUNCTION rule_sets_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'rule set % v% is loaded and cannot change; load a new version instead',
        OLD.rule_set_id, OLD.version USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER rule_sets_immutable BEFORE UPDATE OR DELETE ON rule_sets
    FOR EACH ROW EXECUTE FUNCTION rule_sets_immutable();

-- The member registry (会员): who a member is, keyed by a keyed hash of the national ID (GB 11643,
-- normalised); the ID and the name are stored encrypted only.
CREATE TABLE members (
    member_ref      text        PRIMARY KEY,
    region          text        NOT NULL,
    national_id_enc bytea       NOT NULL,
    name_enc        bytea       NOT NULL,
    union_name      text        NOT NULL,
    occupation      text        NOT NULL CHECK (occupation IN ('frontline', 'gig', 'medical', 'other')),
    model_worker    boolean     NOT NULL DEFAULT false,
    hardship_cadre  boolean     NOT NULL DEFAULT false,
    household_ref   text        NOT NULL,
    updated_by      text        NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX members_household ON members (household_ref);

-- Hardship files are graded from the household (size, income, causes) under the region's standards,
-- valid for the standards' period, reviewed, and expired by the service on time.
ALTER TABLE hardship_files ADD COLUMN household_ref text;
ALTER TABLE hardship_files ADD COLUMN household_size int CHECK (household_size BETWEEN 1 AND 30);
ALTER TABLE hardship_files ADD COLUMN income_fen_per_month bigint CHECK (income_fen_per_month >= 0);
ALTER TABLE hardship_files ADD COLUMN causes text[] NOT NULL DEFAULT '{}';
ALTER TABLE hardship_files ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'expired'));
ALTER TABLE hardship_files ADD COLUMN grading jsonb NOT NULL DEFAULT '[]';
ALTER TABLE hardship_files ADD COLUMN standards_id text;
ALTER TABLE hardship_files ADD COLUMN standards_version int;
ALTER TABLE hardship_files ADD COLUMN reviewed_at timestamptz;
ALTER TABLE hardship_files ADD COLUMN expired_at timestamptz;
CREATE INDEX hardship_files_due ON hardship_files (valid_until) WHERE status = 'active';

-- Cases: what the application brings (school, admission record, medical costs), the exact inputs of
-- the assessment and its hash, the rules that fired, withdrawal, and who may not decide it again.
ALTER TABLE cases DROP CONSTRAINT cases_status_check;
ALTER TABLE cases ADD CONSTRAINT cases_status_check
    CHECK (status IN ('eligible', 'ineligible', 'approved', 'rejected', 'withdrawn'));
ALTER TABLE cases ADD COLUMN household_ref text;
ALTER TABLE cases ADD COLUMN application jsonb NOT NULL DEFAULT '{}';
ALTER TABLE cases ADD COLUMN inputs jsonb;
ALTER TABLE cases ADD COLUMN decision_hash text;
ALTER TABLE cases ADD COLUMN excluded_approvers text[] NOT NULL DEFAULT '{}';
ALTER TABLE cases ADD COLUMN appeals int NOT NULL DEFAULT 0;

-- What each member and each household has been awarded in a region and year, across programmes:
-- the caps are checked against it, row-locked, in the transaction that decides the award.
CREATE TABLE award_totals (
    region      text   NOT NULL,
    year        int    NOT NULL,
    subject     text   NOT NULL,  -- 'member:<ref>' or 'household:<ref>'
    awarded_fen bigint NOT NULL DEFAULT 0 CHECK (awarded_fen >= 0),
    PRIMARY KEY (region, year, subject)
);

-- Every step of a case, who took it and when: registration, assessments, approvals, rejection,
-- withdrawal, appeals. The case page shows it; it is the grievance trail.
CREATE TABLE case_history (
    entry_id bigserial   PRIMARY KEY,
    case_id  uuid        NOT NULL REFERENCES cases,
    action   text        NOT NULL,
    actor    text        NOT NULL,
    detail   jsonb       NOT NULL DEFAULT '{}',
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_history_by_case ON case_history (case_id, entry_id);

ALTER TABLE imports DROP CONSTRAINT imports_kind_check;
ALTER TABLE imports ADD CONSTRAINT imports_kind_check CHECK (kind IN ('cases', 'hardship_files', 'members'));
