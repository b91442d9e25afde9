-- Rule sets were once seeded here. Policy is data now: the versioned documents in
-- services/eligibility/policies/, loaded by `siji policies load` (and by the service at the start of a
-- fresh system). Migrations hold structure only. Kept as a step so that migration numbering holds.
SELECT 1;
