-- A returned payment that disbursement has paid again is explained, and so is a line the bank booked twice
-- (it is a recovery item for finance): the item says so, and its day can close.
ALTER TABLE payments ADD COLUMN reissue_of uuid;
CREATE INDEX payments_reissue_of ON payments (reissue_of) WHERE reissue_of IS NOT NULL;
ALTER TABLE items ADD COLUMN explained boolean NOT NULL DEFAULT false;
UPDATE items SET explained = classification IN ('MATCHED', 'IN_TRANSIT', 'DUPLICATE_AT_BANK');
