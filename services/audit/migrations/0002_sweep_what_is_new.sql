-- The sweep looks at what was seen since the last one (and what that touches) instead of the whole history
-- every few seconds: it read every settlement ever recorded each time (1.4 s of PostgreSQL a sweep at
-- 150,000, every 5 s). Block-range indexes on seen_at find the recent rows (they are appended in time
-- order, so a BRIN stays tiny and costs the writes nearly nothing); the others serve the facts a new one
-- touches: a campaign's settlements (its budget), a loan period's entitlement (a forfeit).
ALTER TABLE forfeits ADD COLUMN seen_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX settlements_seen ON settlements USING brin (seen_at);
CREATE INDEX entitlements_seen ON entitlements USING brin (seen_at);
CREATE INDEX handouts_seen ON handouts USING brin (seen_at);
CREATE INDEX forfeits_seen ON forfeits USING brin (seen_at);
CREATE INDEX settlements_campaign ON settlements (campaign);
CREATE INDEX entitlements_period ON entitlements (loan_id, period_end) WHERE loan_id IS NOT NULL;
