-- A payment is inserted by the consumer after it has found its campaign's budget (a campaign without one is
-- dead-lettered), and learns its batch from the dispatcher recording that batch's answer; budgets and
-- batches are never deleted (the trigger below refuses it). So the two foreign keys held nothing more, at
-- an index probe and a row lock per payment on its insert and again on its settlement (4 to 7 us each,
-- 200,000 in a 100,000-recipient campaign). reissue_of keeps its key: it is checked on re-issues only.
ALTER TABLE payments DROP CONSTRAINT payments_campaign_fkey,
                     DROP CONSTRAINT payments_batch_id_fkey;

CREATE FUNCTION kept_for_good() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are kept for good: payments name them', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER budgets_are_kept BEFORE DELETE ON budgets FOR EACH ROW EXECUTE FUNCTION kept_for_good();
CREATE TRIGGER batches_are_kept BEFORE DELETE ON payment_batches FOR EACH ROW EXECUTE FUNCTION kept_for_good();
