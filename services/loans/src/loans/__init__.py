"""Interest-subsidised loans (贴息贷款): subsidy policies, schedules, the subsidy fund."""
