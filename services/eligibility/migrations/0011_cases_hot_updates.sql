-- A case is written three times after its registration: approved, then its payment instructed, then
-- settled or failed. The payment's columns are in no index, so those two updates can stay on the row's
-- page (a HOT update: no new index entries) when the page has room: new pages keep a third free.
-- cases_queue (campaign, region, status, case_id) answers everything cases_campaign_status did (a
-- campaign belongs to one region's caseworkers), so one fewer index to keep on every registration and
-- every approval.
ALTER TABLE cases SET (fillfactor = 70);
DROP INDEX cases_campaign_status;
