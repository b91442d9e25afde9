-- The campaigns that have loans, asked at each batch of payments (only theirs can be subsidies: every budget
-- is a fund here, winter campaigns' too): one probe a fund.
CREATE INDEX loans_campaign ON loans (campaign);
