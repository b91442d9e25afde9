-- Winter warmth (冬送温暖) 2026, first rule sets. Amounts in fen by registered hardship level:
-- deep (深度困难), relative (相对困难), accident (意外致困). One award per member per campaign.
-- Awards above second_approval_above_fen need two approvers besides the registering caseworker.
INSERT INTO rule_sets (rule_set_id, version, programme, region, year, rules) VALUES
('winter-warmth/taicang/2026', 1, 'winter-warmth', 'taicang', 2026,
 '{"tiers": {"deep": 80000, "relative": 50000, "accident": 100000},
   "max_awards_per_member_per_campaign": 1,
   "second_approval_above_fen": 80000}'),
('winter-warmth/fuzhou/2026', 1, 'winter-warmth', 'fuzhou', 2026,
 '{"tiers": {"deep": 60000, "relative": 40000, "accident": 80000},
   "max_awards_per_member_per_campaign": 1,
   "second_approval_above_fen": 60000}'),
('winter-warmth/yancheng/2026', 1, 'winter-warmth', 'yancheng', 2026,
 '{"tiers": {"deep": 70000, "relative": 45000, "accident": 90000},
   "max_awards_per_member_per_campaign": 1,
   "second_approval_above_fen": 70000}');
