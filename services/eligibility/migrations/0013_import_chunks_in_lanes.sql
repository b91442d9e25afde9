-- An import's chunks run two at a time, each on its own connection, and commit in either order: each adds
-- its counts to the record and notes where it starts in the file (its first row's index), so an import cut
-- off is taken up by skipping the chunks that committed, wherever they are. Imports running when this came
-- in committed their chunks in file order: theirs are the chunks before rows_read.
ALTER TABLE imports ADD COLUMN chunks_done int[] NOT NULL DEFAULT '{}';
UPDATE imports SET chunks_done = ARRAY(SELECT generate_series(0, rows_read - 1, 1000))
WHERE status = 'running';
