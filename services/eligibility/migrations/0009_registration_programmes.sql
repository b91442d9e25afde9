-- Registrations for help in kind (summer cooling, 夏送清凉): a fourth kind of rule set document, the
-- registration programme. A registration is a case like any other (amount 0 fen, no account: an empty
-- string encrypted), its facts in `application` under "registration"; its campaign list is an import of
-- kind 'registrations'.
ALTER TABLE rule_sets DROP CONSTRAINT rule_sets_kind_check;
ALTER TABLE rule_sets ADD CONSTRAINT rule_sets_kind_check
    CHECK (kind IN ('programme', 'hardship-standards', 'loan-programme', 'registration-programme'));

ALTER TABLE imports DROP CONSTRAINT imports_kind_check;
ALTER TABLE imports ADD CONSTRAINT imports_kind_check
    CHECK (kind IN ('cases', 'hardship_files', 'members', 'registrations'));
ALTER TABLE imports DROP CONSTRAINT imports_check;
ALTER TABLE imports ADD CONSTRAINT imports_campaign_check
    CHECK ((kind IN ('cases', 'registrations')) = (campaign IS NOT NULL));
