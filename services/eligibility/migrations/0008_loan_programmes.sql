-- Interest-subsidised loans (贴息贷款): a third kind of rule set document, the loan programme. A loan
-- application is a case like any other, its loan facts in `application` under "loan".
ALTER TABLE rule_sets DROP CONSTRAINT rule_sets_kind_check;
ALTER TABLE rule_sets ADD CONSTRAINT rule_sets_kind_check
    CHECK (kind IN ('programme', 'hardship-standards', 'loan-programme'));
