-- What an import's eligible cases were assessed at, in fen: what finance budgets the campaign from.
ALTER TABLE imports ADD COLUMN eligible_fen bigint NOT NULL DEFAULT 0;
