-- An award total is created at zero and raised in the same transaction (the caps are checked between), and
-- raised again by every later award of its year. Inserted into full pages, 201,712 of the 205,772 raises
-- in a 100,000-recipient campaign went to another page, each with a new entry in the key's index. Half of
-- each new page is kept free, so a raise stays on the row's page (a HOT update: no new index entry).
ALTER TABLE award_totals SET (fillfactor = 50);
