-- A campaign's cases of some members are found from the members: cases_of_members reads this index in a
-- fence (see queries.sql). Led by the campaign, the old index lost to the campaign-led queue indexes
-- whenever the planner had no statistics for the campaign yet (an import into a new campaign: estimated
-- at one row, every lookup scanned all the campaign's cases so far, 100,000 of them by the end).
DROP INDEX cases_member_campaign;
CREATE INDEX cases_member ON cases (member_ref, campaign);
